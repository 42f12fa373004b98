"""Writing records as Parquet tables: explicit schemas, streamed, atomic replacement.

Rows go out in row groups (a corpus is never held in memory); each table is
written to a temporary file and renamed into place when the run completes,
so an interrupted run leaves the previous tables as they were. Each row
group is also kept as a cache segment (SegmentCache) for the runs after.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bulletin_miner.rows import Columns, merged_columns, rows_as_columns
from bulletin_miner.schema import arrow_schema

# Rows buffered in any table before a row group is written, however few
# documents it holds (a memory bound for documents with very many facts).
BATCH_ROWS = 20_000
# zstd, not Parquet's default snappy: Chinese text in UTF-8 barely shrinks
# under snappy; zstd makes the tables 3-7x smaller, and writing them is no
# slower (fewer bytes reach the disk). pandas, DuckDB and polars all read it.
COMPRESSION = "zstd"
# But not for tables of few rows and many columns: each of their column
# chunks is small, and zstd sets up anew for every one (the documents table
# took 2.5x as long to write as with snappy, to come out 7% smaller).
FAST_COMPRESSION = {"documents": "snappy", "issues": "snappy"}
# No dictionary pages: row groups are small and zstd already folds the
# repeated values (field, stage, rule, doc_id), so the files come out smaller
# without them, and writing skips hashing every value (25% of the write).
USE_DICTIONARY = False
# Columns of running text get no min/max statistics: they filter nothing, and
# computing them over every character was a fifth of the write.
RUNNING_TEXT = frozenset({"text", "sentence", "offset_runs", "label", "title", "aspect", "heading", "warnings"})


def read_rows(out_dir: Path, table: str, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """A run's table as rows (of `columns`, by default all). A local run's
    file is read as one file: pq.read_table would load the datasets layer
    for it (10 ms, a part of every small run's end)."""
    source = table_source(out_dir, table)
    if source is None:
        return []
    if source.is_file():
        return pq.ParquetFile(source).read(columns=columns).to_pylist()
    return pq.read_table(source, columns=columns, schema=arrow_schema(table)).to_pylist()


def table_source(out_dir: Path, table: str) -> Path | None:
    """Where a run's table is: its file (a local run), or its folder of parts
    (a Dask run); None if neither is there. pyarrow reads either as one table."""
    file = out_dir / f"{table}.parquet"
    if file.exists():
        return file
    folder = out_dir / table
    return folder if folder.is_dir() else None


# --- a pool's worker sends the rows of its documents as Arrow -----------------

# no threads: a worker keeps to its core
_SEND_OPTIONS = pa.ipc.IpcWriteOptions(use_threads=False)


def encode_rows(documents: Sequence[dict[str, Columns]], tables: Sequence[str]) -> list[bytes]:
    """The rows of several documents, each table converted once for all of
    them, as an Arrow IPC stream each (what `decode_rows` reads back)."""
    encoded = []
    for table in tables:
        schema = arrow_schema(table)
        columns = merged_columns(documents, table)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, schema, options=_SEND_OPTIONS) as writer:
            writer.write_table(pa.Table.from_pydict(columns, schema=schema))
        encoded.append(sink.getvalue().to_pybytes())
    return encoded


def decode_rows(encoded: Sequence[bytes], tables: Sequence[str]) -> dict[str, pa.Table]:
    """The tables `encode_rows` sent (read in place, not copied)."""
    return {table: pa.ipc.open_stream(pa.py_buffer(data)).read_all() for table, data in zip(tables, encoded, strict=True)}


# --- the cache: Arrow IPC segments, one per row group -----------------------


class SegmentCache:
    """Rows of documents already extracted, for runs that follow.

    A segment holds the rows of one row group's documents: one Arrow IPC file
    per record table, `<segment>.<table>.arrow`, each written to a temporary
    name and renamed, the documents file last, so a segment whose documents
    file is missing is incomplete (a run killed while writing it) and is
    ignored. The rows are the very tables written to Parquet, so a document
    taken from the cache is written exactly as it was extracted; reading one
    back is a slice of its segment, read once for all its documents. Files
    cost once per row group, not once per document as a file per document
    did (0.3 ms each, most of it the file system's).
    """

    SUFFIX = ".arrow"
    # zstd: 0.08 ms a document more than none for a cache a tenth the size
    # (uncompressed it was 20 times the Parquet tables it mirrors); lz4 where
    # Parquet uses snappy (zstd took 10x as long on the documents table, for
    # 10% fewer bytes); no threads of their own: with one core pinned, or
    # workers on the others, they only contend
    OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd", use_threads=False)
    FAST_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4", use_threads=False)

    def __init__(self, directory: Path, tables: Sequence[str], *, load_index: bool = True, keep_open: int = 4):
        self.directory = directory
        self.tables = tuple(tables)
        self.schemas = {t: arrow_schema(t) for t in self.tables}
        directory.mkdir(parents=True, exist_ok=True)
        self.index: dict[str, str] = {}  # doc_id -> segment
        if load_index:
            for path in sorted(directory.glob(f"*.documents{self.SUFFIX}")):
                segment = path.name[: -len(f".documents{self.SUFFIX}")]
                table = self._read(path, "documents")
                for doc_id in [] if table is None else table.column("doc_id").to_pylist():
                    self.index.setdefault(doc_id, segment)
        self._open: OrderedDict[str, dict[str, tuple[pa.Table, dict[str, tuple[int, int]]]] | None] = OrderedDict()
        self.keep_open = keep_open

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.index

    def rows(self, doc_id: str) -> dict[str, pa.Table] | None:
        """One document's rows in each table (None if its segment cannot be read)."""
        segment = self._segment(self.index[doc_id])
        if segment is None:
            return None
        return {t: table.slice(*spans.get(doc_id, (0, 0))) for t, (table, spans) in segment.items()}

    def write(self, segment: str, tables: dict[str, pa.Table]) -> None:
        """Write one segment (the documents table last: it marks the segment whole)."""
        for table in sorted(self.tables, key=lambda t: t == "documents"):
            target = self.directory / f"{segment}.{table}{self.SUFFIX}"
            tmp = target.with_name(f".{target.name}.tmp")
            try:
                with (
                    pa.OSFile(str(tmp), "wb") as sink,
                    pa.ipc.new_file(sink, self.schemas[table], options=self.FAST_OPTIONS if table in FAST_COMPRESSION else self.OPTIONS) as writer,
                ):
                    writer.write_table(tables[table])
                os.replace(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        for doc_id in tables["documents"].column("doc_id").to_pylist():
            self.index[doc_id] = segment

    def keep_only(self, segments: set[str]) -> None:
        """Remove every segment but these (and what killed runs left half-written)."""
        for path in self.directory.iterdir():
            if path.name.startswith(".") or path.name.split(".", 1)[0] not in segments:
                path.unlink(missing_ok=True)

    def _segment(self, name: str):
        if name not in self._open:
            tables = {t: self._read(self.directory / f"{name}.{t}{self.SUFFIX}", t) for t in self.tables}
            self._open[name] = None if any(v is None for v in tables.values()) else {t: (v, _spans(v)) for t, v in tables.items()}
            while len(self._open) > self.keep_open:
                self._open.popitem(last=False)  # slices handed out keep their own buffers
        self._open.move_to_end(name)
        return self._open[name]

    def _read(self, path: Path, table: str) -> pa.Table | None:
        try:
            with pa.OSFile(str(path), "rb") as source:  # read into memory: the file may be replaced or removed later
                loaded = pa.ipc.open_file(source).read_all()
        except (OSError, pa.ArrowInvalid):
            return None  # missing or unreadable: as if it had never been written
        return loaded if loaded.schema.equals(self.schemas[table], check_metadata=True) else None


def _spans(table: pa.Table) -> dict[str, tuple[int, int]]:
    """(offset, length) of each document's rows: a segment holds them together, in order."""
    spans: dict[str, tuple[int, int]] = {}
    ids = table.column("doc_id").to_pylist()
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or ids[i] != ids[start]:
            spans[ids[start]] = (start, i - start)
            start = i
    return spans


class TableWriter:
    """Streams one table's rows to a temporary Parquet file; `commit` renames it into place.

    Rows come as columns (a document just extracted alone), as spans of
    Arrow tables (documents a pool's worker sent together, one taken from
    the cache); `flush` writes them, in the order they came, as one row
    group and returns it.
    """

    def __init__(self, table: str, out_dir: Path):
        self.table = table
        self.schema = arrow_schema(table)
        self.target = out_dir / f"{table}.parquet"
        out_dir.mkdir(parents=True, exist_ok=True)
        # Named by process (one run per folder holds the lock), not by mkstemp:
        # mkstemp's file is private (0600) and the renamed table would stay so,
        # unreadable to the analysts the folder is shared with.
        self.tmp = out_dir / f".{table}.{os.getpid()}.parquet.tmp"
        self.writer = pq.ParquetWriter(
            self.tmp,
            self.schema,
            compression=FAST_COMPRESSION.get(table, COMPRESSION),
            use_dictionary=USE_DICTIONARY,
            write_statistics=[name for name in self.schema.names if name not in RUNNING_TEXT],
        )
        self.pieces: list[tuple[pa.Table, int, int]] = []  # (table, offset, length) each
        self.columns: Columns = {name: [] for name in self.schema.names}
        self.buffered = 0  # rows not yet written, in columns and pieces
        self.rows = 0

    def write(self, columns: Columns) -> None:
        for name, values in self.columns.items():
            values.extend(columns[name])
        self.buffered += len(columns[self.schema.names[0]])

    def write_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        self.write(rows_as_columns(self.table, rows))

    def write_table(self, table: pa.Table, offset: int = 0, length: int | None = None) -> None:
        """`length` rows of `table` from `offset` (by default all of them)."""
        length = table.num_rows - offset if length is None else length
        self._seal()
        last = self.pieces[-1] if self.pieces else None
        if last is not None and last[0] is table and last[1] + last[2] == offset:
            self.pieces[-1] = (table, last[1], last[2] + length)  # the next documents of the same group: one slice, not one each
        elif length:
            self.pieces.append((table, offset, length))
        self.buffered += length

    def _seal(self) -> None:
        if self.columns[self.schema.names[0]]:
            table = pa.Table.from_pydict(self.columns, schema=self.schema)
            self.pieces.append((table, 0, table.num_rows))
            self.columns = {name: [] for name in self.schema.names}

    def flush(self) -> pa.Table:
        """Write what is buffered as one row group; returns it (empty if nothing was)."""
        self._seal()
        parts = [table if length == table.num_rows else table.slice(offset, length) for table, offset, length in self.pieces]
        # one chunk: a record batch per piece would be compressed (and read)
        # one by one, and the segment would come out 7 times larger
        group = pa.concat_tables(parts).combine_chunks() if len(parts) > 1 else parts[0] if parts else self.schema.empty_table()
        if group.num_rows:
            self.writer.write_table(group)
        self.rows += group.num_rows
        self.pieces, self.buffered = [], 0
        return group

    def commit(self) -> Path:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.target)
        return self.target

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)
