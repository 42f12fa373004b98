"""bulletin_miner beside the peer libraries, on the same phrasings.

    make peers                          # builds .venv-peers, prints the table
    .venv/bin/python benchmarks/peers.py [--write-docs]

The phrasings are the project's phrase corpora (tests/cases/*.yml), each
hand-checked: dates.yml (inspection periods and feedback dates as bulletins
write them), money.yml (amounts recovered, and amounts that are spending,
not recovery), units.yml (the inspected unit and its place). Each library
reads each phrase as a user would call it:

- dates: jionlp's `ner.extract_time` and Duckling's Chinese time parser give
  every date they find, with no role; bulletin_miner gives the inspection
  period and feedback date. All are scored the same way, roles ignored: a
  day-level date a library gives is right if it is one of the phrase's
  inspection or feedback dates, year included (carried over from earlier in
  the text where the text does so), else wrong (a meeting's date, a year
  guessed from the clock); one of them it does not give is missed. Months
  without a day are no date to store and are not scored for anyone.
- money: jionlp's `ner.extract_money` finds amounts but not what they are
  for; its figure for "funds recovered" is the sum of the amounts it finds
  (a range's lower bound). A phrase whose amounts are all spending must
  give no figure.
- places: cpca's `transform` on the phrase gives a province and a city;
  each is right if it is the unit's, wrong otherwise (also where the phrase
  names no place of the unit), empty where it gives none.

The peers run in their own environment (.venv-peers: jionlp and cpca from
PyPI, Duckling's Clojure release through its Python wrapper and JPype, which
needs Java); this script runs itself there for them, and prints what it
could not run rather than a figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
DOCS_PAGE = ROOT / "README.md"
DATE_FIELDS = ("inspection_start", "inspection_end", "feedback_date")
PLACE_FIELDS = ("province", "city")
# The tests put a bulletin's title line above a phrase; every library reads the same text.
HEAD = "中共某县民政局党组关于巡察整改进展情况的通报\n"


def load(name: str) -> list[dict]:
    return yaml.safe_load((CASES / f"{name}.yml").read_text(encoding="utf-8"))


def phrase(case: dict, with_head: bool = True) -> str:
    text = str(case["text"]).replace("\\n", "\n")
    return HEAD + text if with_head else text


# -- what each library gives ------------------------------------------------


def ours() -> dict[str, list]:
    from bulletin_miner.api import extract_text

    dates = []
    for case in load("dates"):
        fields = extract_text(phrase(case)).fields
        dates.append(sorted({fields[f].isoformat() for f in DATE_FIELDS if fields.get(f) is not None}))
    money = []
    for case in load("money"):
        value = extract_text(phrase(case)).fields["funds_recovered_cny"]
        money.append(None if value is None else str(value))
    places = []
    for case in load("units"):
        fields = extract_text(phrase(case, with_head=False)).fields
        places.append({f: fields.get(f) for f in PLACE_FIELDS})
    return {"dates": dates, "money": money, "places": places}


def jionlp_dates() -> list[list[str]]:
    import jionlp

    found = []
    for case in load("dates"):
        days: set[str] = set()
        for entity in jionlp.ner.extract_time(phrase(case)):
            start, end = (t[:10] for t in entity["detail"]["time"])
            stated_days = len(re.findall(r"[日号]", entity["text"]))
            if entity["detail"]["type"] == "time_span" and stated_days >= 2:
                days |= {start, end}
            elif entity["detail"]["type"] == "time_point" and stated_days == 1 and start == end:
                days.add(start)
        found.append(sorted(days))
    return found


def jionlp_money() -> list[str | None]:
    import jionlp

    sums = []
    for case in load("money"):
        amounts = []
        for entity in jionlp.ner.extract_money(phrase(case)):
            num = entity["detail"]["num"]
            amounts.append(Decimal(num[0] if isinstance(num, list) else num))
        sums.append(str(sum(amounts)) if amounts else None)
    return sums


def duckling_dates() -> list[list[str]]:
    from duckling import Duckling

    duck = Duckling()
    duck.load(languages=["zh"])
    parse = duck.clojure.var("duckling.core", "parse")
    pr_str = duck.clojure.var("clojure.core", "pr-str")
    found = []
    for case in load("dates"):
        try:
            printed = str(pr_str.invoke(parse.invoke("zh$core", phrase(case), duck.clojure.read("[:time]"))))
        except Exception as err:  # a Java exception (an assertion inside its rules): nothing given for the phrase
            print(f"duckling raised on {str(case['text'])[:20]}…: {str(err)[:120]}", file=sys.stderr)
            printed = ""
        days: set[str] = set()
        # each result's own value (:values lists later candidates), at the grain of a day
        for value, grain in re.findall(r':value \{:type "value", :value "(\d{4}-\d\d-\d\d)T[^"]*", :grain :(\w+)', printed):
            if grain == "day":
                days.add(value)
        for start, end in re.findall(r':from \{:value "(\d{4}-\d\d-\d\d)T[^"]*", :grain :day\}, :to \{:value "(\d{4}-\d\d-\d\d)T', printed):
            days |= {start, (dt.date.fromisoformat(end) - dt.timedelta(days=1)).isoformat()}  # Duckling's end is exclusive
        found.append(sorted(days))
    return found


def cpca_places() -> list[dict]:
    import cpca

    found = []
    for case in load("units"):
        row = cpca.transform([phrase(case, with_head=False)]).iloc[0]
        found.append({"province": row["省"] or None, "city": row["市"] or None})
    return found


PEERS = {"jionlp_dates": jionlp_dates, "jionlp_money": jionlp_money, "duckling_dates": duckling_dates, "cpca_places": cpca_places}


def run_peer(name: str) -> dict:
    """One peer's answers, from its own environment, or why it could not run."""
    if not PEERS_PYTHON.exists():
        return {"error": "no .venv-peers (make peers builds it)"}
    try:
        done = subprocess.run([str(PEERS_PYTHON), __file__, "--peer", name], capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        return {"error": "did not finish in 10 minutes"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["exited with code " + str(done.returncode)])[-1][:200]}
    return {"answers": json.loads(done.stdout.strip().splitlines()[-1])}


# -- scoring ----------------------------------------------------------------


def stated_dates(case: dict) -> set[str]:
    return {str(v) for f, v in case["expect"].items() if f in DATE_FIELDS and v is not None}


def score_dates(answers: list[list[str]]) -> dict:
    right = wrong = missed = 0
    for case, given in zip(load("dates"), answers, strict=True):
        stated = stated_dates(case)
        right += len(stated & set(given))
        wrong += len(set(given) - stated)
        missed += len(stated - set(given))
    return {"right": right, "wrong": wrong, "missed": missed, "stated": right + missed}


def score_money(answers: list[str | None]) -> dict:
    right = wrong = missed = 0
    for case, given in zip(load("money"), answers, strict=True):
        expected = case["expect"]
        if given is None:
            missed += expected is not None
        elif expected is not None and Decimal(given) == Decimal(str(expected)):
            right += 1
        else:
            wrong += 1
    stated = sum(case["expect"] is not None for case in load("money"))
    return {"right": right, "wrong": wrong, "missed": missed, "stated": stated}


def score_places(answers: list[dict]) -> dict:
    right = wrong = missed = stated = 0
    for case, given in zip(load("units"), answers, strict=True):
        for field in PLACE_FIELDS:
            if field not in case["expect"]:
                continue  # the case does not decide it
            expected, value = case["expect"][field], given.get(field)
            stated += expected is not None
            if value is None:
                missed += expected is not None
            elif value == expected:
                right += 1
            else:
                wrong += 1
    return {"right": right, "wrong": wrong, "missed": missed, "stated": stated}


SCORERS = {"dates": score_dates, "money": score_money, "places": score_places}
CORPUS_FILES = {"dates": "dates", "money": "money", "places": "units"}
ROWS = [  # (corpus, library, where its answers come from)
    ("dates", "bulletin_miner", "ours"),
    ("dates", "jionlp 1.5 `ner.extract_time`", "jionlp_dates"),
    ("dates", "Duckling 0.4 (Clojure), zh time", "duckling_dates"),
    ("money", "bulletin_miner", "ours"),
    ("money", "jionlp 1.5 `ner.extract_money`", "jionlp_money"),
    ("places", "bulletin_miner", "ours"),
    ("places", "cpca 0.5 `transform`", "cpca_places"),
]


def label(corpus: str) -> str:
    return f"{corpus} ({len(load(CORPUS_FILES[corpus]))} phrases)"


def table() -> str:
    ours_answers = ours()
    peers = {name: run_peer(name) for name in PEERS}
    lines = [
        "| phrasings | library | right | wrong | missed | filled values right |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for corpus, library, source in ROWS:
        answers = {"answers": ours_answers[corpus]} if source == "ours" else peers[source]
        if "error" in answers:
            lines.append(f"| {label(corpus)} | {library} | — | — | — | not run: {answers['error']} |")
            continue
        s = SCORERS[corpus](answers["answers"])
        filled = s["right"] + s["wrong"]
        share = f"{s['right'] / filled:.2f}" if filled else "—"
        lines.append(f"| {label(corpus)} | {library} | {s['right']}/{s['stated']} | {s['wrong']} | {s['missed']} | {share} |")
    return "\n".join(lines)


def write_docs(text: str) -> None:
    page = DOCS_PAGE.read_text(encoding="utf-8")
    start, end = "<!-- peers:start -->", "<!-- peers:end -->"
    head, rest = page.split(start)
    _, tail = rest.split(end)
    stamp = f"_{dt.date.today().isoformat()}, `make peers`._"
    DOCS_PAGE.write_text(f"{head}{start}\n{text}\n\n{stamp}\n{end}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", choices=sorted(PEERS), help=argparse.SUPPRESS)  # run inside .venv-peers
    parser.add_argument("--write-docs", action="store_true", help=f"also write the table into {DOCS_PAGE.relative_to(ROOT)}")
    args = parser.parse_args()
    if args.peer:
        print(json.dumps(PEERS[args.peer]()))
        return
    text = table()
    print(text)
    if args.write_docs:
        write_docs(text)


if __name__ == "__main__":
    main()
