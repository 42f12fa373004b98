r"""bulletin_miner: structured records from Chinese inspection-rectification bulletins.

>>> import bulletin_miner as bm
>>> record = bm.extract_text("市教育局党组关于巡察整改情况的通报\n市委第一巡察组于2023年3月1日至4月30日对市教育局党组进行了巡察。")
>>> record.fields["inspector"], str(record.fields["inspection_end"])
('市委第一巡察组', '2023-04-30')
"""

from __future__ import annotations

from typing import Any

from bulletin_miner.config import PIPELINE_VERSION

__all__ = ["PIPELINE_VERSION", "Dataset", "compare", "extract_paths", "extract_text", "read_dataset"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The API pulls in spaCy and pandas; importing it lazily keeps
    # `import bulletin_miner.normalize...` cheap for workers and tests.
    if name in {"extract_text", "extract_paths", "extract_records"}:
        from bulletin_miner import api

        return getattr(api, name)
    if name in {"read_dataset", "compare", "Dataset"}:
        from bulletin_miner import analysis

        return getattr(analysis, name)
    raise AttributeError(name)
