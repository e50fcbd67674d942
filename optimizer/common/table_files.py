"""Result tables as files, and read back whichever way they were written.

- ``<stem>.csv`` (:func:`write_table_csv`): the bytes pandas' ``to_csv`` writes (``True`` and
  ``False``, ``1.0``, ``1e-05``, blanks for NaN and None, a field quoted only when it holds a
  quote, a comma or a line end), two to three times faster on the 200k-row tables of a large
  scenario: each column is spelled with Arrow's compute functions and the rows joined in Arrow,
  then written as one buffer. (Arrow's own CSV writer quotes every text field and the header and
  writes ``1.0`` as ``1`` and ``True`` as ``true``: a whole-number float column would then read
  back as integers.)
- ``<stem>.parquet`` (:func:`write_table_parquet`): typed (text stays text, ``007`` included),
  written with one fixed set of options and no pandas index.

:func:`read_table` is the one reader of a table in a folder, in either format.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

CSV, PARQUET = "csv", "parquet"
TABLE_FORMATS = (CSV, PARQUET)  # the first is the default
READ_ORDER = (PARQUET, CSV)  # a folder with both (never written so) is read from its Parquet

_TEXT = pa.large_string()
# Python writes floats outside [1e-4, 1e16) in scientific notation (1e-05, 1e+16); Arrow switches
# at other magnitudes (0.00001, 1e+10), so those values are spelled by Python.
_FIXED_LOW, _FIXED_HIGH = 1e-4, 1e16
# Parquet written one way: equal tables, equal files (for one version of pyarrow).
PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
}


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, _TEXT)


# --- writing ---------------------------------------------------------------------------------


def table_path(folder: str | Path, stem: str, table_format: str = CSV) -> Path:
    """``folder/<stem>.csv`` or ``folder/<stem>.parquet``."""
    if table_format not in TABLE_FORMATS:
        raise ValueError(
            f"unknown table format {table_format!r}: one of {', '.join(TABLE_FORMATS)}"
        )
    return Path(folder) / f"{stem}.{table_format}"


def write_table(
    frame: pd.DataFrame, folder: str | Path, stem: str, table_format: str = CSV
) -> Path:
    """Write ``frame`` as ``folder/<stem>.<table_format>``; the path written."""
    path = table_path(folder, stem, table_format)
    return (
        write_table_parquet(frame, path)
        if table_format == PARQUET
        else write_table_csv(frame, path)
    )


def write_table_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """``frame`` as CSV, byte for byte as ``frame.to_csv(index=False, lineterminator="\\n")``
    writes it, but for text holding ``\\r``, which is quoted here (pandas leaves it bare), and
    for columns of types no result table has (dates, float32), spelled by ``str``."""
    path = Path(path)
    with path.open("wb") as file:
        file.write(csv_header(frame).encode("utf-8"))
        if frame.shape[1] == 0:
            file.write(b"\n" * len(frame))  # as pandas writes a table without columns
            return path
        for chunk in _lines(frame):
            if len(chunk):
                offsets = np.frombuffer(
                    chunk.buffers()[1], np.int64, len(chunk) + 1, chunk.offset * 8
                )
                file.write(memoryview(chunk.buffers()[2])[offsets[0] : offsets[-1]])
    return path


def csv_header(frame: pd.DataFrame) -> str:
    names = pa.array([str(name) for name in frame.columns], _TEXT)
    return ",".join(_quoted(names).to_pylist()) + "\n"


def _lines(frame: pd.DataFrame) -> list[pa.Array]:
    """Each row as one CSV line ending in ``\\n``: Arrow text arrays, in chunks."""
    fields = [_csv_text(frame.iloc[:, i]) for i in range(frame.shape[1])]
    fields = [pc.fill_null(field, _text("")) if field.null_count else field for field in fields]
    if len(fields) == 1:  # a row of one blank field is written "" (else it is a blank line)
        fields = [pc.if_else(pc.equal(fields[0], _text("")), _text('""'), fields[0])]
    fields[-1] = pc.binary_join_element_wise(fields[-1], _text("\n"), _text(""))
    lines = pc.binary_join_element_wise(*fields, _text(",")) if len(fields) > 1 else fields[0]
    return lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]


def _csv_text(values: pd.Series) -> pa.Array:
    """A column as CSV fields (quoted where needed), null where blank."""
    return _quoted(column_text(values))


def column_text(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A column spelled as pandas writes it to CSV, unquoted: null where blank."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        flags = pa.array(values, from_pandas=True, type=pa.bool_())
        return pc.if_else(flags, _text("True"), _text("False"))
    if pd.api.types.is_float_dtype(dtype):
        return _float_text(values.to_numpy(dtype=float, na_value=np.nan))
    if pd.api.types.is_integer_dtype(dtype):
        return pc.cast(pa.array(values, from_pandas=True), _TEXT)
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        try:
            array = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            array = None
        if array is not None and array.type in (pa.string(), _TEXT, pa.null()):
            return pc.cast(array, _TEXT)
    missing = pd.isna(values).to_numpy()
    texts = [
        None if gone else str(value) for value, gone in zip(values.tolist(), missing, strict=True)
    ]
    return pa.array(texts, _TEXT)


def _float_text(values: np.ndarray) -> pa.Array:
    """Floats as Python writes them (``repr``): the shortest text that reads back the same
    number, ``.0`` on whole numbers, ``inf``/``-inf``; null for NaN."""
    text = pc.cast(pa.array(values, from_pandas=True), _TEXT)
    finite = np.isfinite(values)
    size = np.abs(np.where(finite, values, 1.0))
    python = finite & (values != 0) & ((size < _FIXED_LOW) | (size >= _FIXED_HIGH))
    python |= finite & _flags(pc.match_substring(text, "e"))
    whole = finite & ~python & ~_flags(pc.match_substring(text, "."))
    if whole.any():
        text = pc.if_else(
            pa.array(whole), pc.binary_join_element_wise(text, _text(".0"), _text("")), text
        )
    if python.any():
        where = np.flatnonzero(python)
        spelled = pa.array([repr(float(v)) for v in values[where]], _TEXT)
        text = pc.replace_with_mask(text, pa.array(python), spelled)
    return text


def _flags(found: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def _quoted(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text fields as CSV spells them: in quotes, inner quotes doubled, where a field holds a
    quote, a comma or a line end (``\\r`` too, which pandas leaves bare and then reads as a
    line end)."""
    if not _any_special(text):
        return text
    needs = pc.match_substring_regex(text, '["\n\r,]')
    doubled = pc.replace_substring(text, '"', '""')
    quoted = pc.binary_join_element_wise(_text('"'), doubled, _text('"'), _text(""))
    return pc.if_else(needs, quoted, text)


_SPECIAL_BYTES = np.zeros(256, dtype=bool)
_SPECIAL_BYTES[list(b'",\n\r')] = True


def _any_special(text: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any field holds a byte that needs quotes: one look at the bytes of the column."""
    for chunk in text.chunks if isinstance(text, pa.ChunkedArray) else [text]:
        data = chunk.buffers()[2] if len(chunk) and chunk.type != pa.null() else None
        if data is not None and _SPECIAL_BYTES[np.frombuffer(data, np.uint8)].any():
            return True
    return False


def write_table_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """``frame`` as Parquet without its index: numbers, booleans and text keep their types
    (a column of mixed types is stored as text, as its CSV would read back)."""
    path = Path(path)
    names = [str(name) for name in frame.columns]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{path.name}: columns appear twice: {', '.join(repeated)}")
    arrays = [_parquet_array(frame.iloc[:, i]) for i in range(frame.shape[1])]
    table = pa.Table.from_arrays(arrays, names=names)
    import pyarrow.parquet as pq  # loaded only for Parquet

    pq.write_table(table, path, **PARQUET_OPTIONS)
    return path


def _parquet_array(values: pd.Series) -> pa.Array:
    dtype = values.dtype
    if not (pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)):
        return pa.array(values, from_pandas=True)
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = None
    if array is None or isinstance(dtype, pd.CategoricalDtype):
        return column_text(values)
    return pc.cast(array, pa.string()) if array.type == pa.null() else array


# --- reading ---------------------------------------------------------------------------------


def find_table(folder: str | Path, stem: str) -> Path | None:
    """The file of table ``stem`` in ``folder`` (``.parquet`` or ``.csv``), if there is one."""
    for table_format in READ_ORDER:
        path = table_path(folder, stem, table_format)
        if path.is_file():
            return path
    return None


def read_table(folder: str | Path, stem: str, as_text: bool = False) -> pd.DataFrame | None:
    """Table ``stem`` of a folder, from whichever file holds it; ``None`` when none does.

    ``as_text``: every cell as the text its CSV holds (``""`` where blank), as
    ``pd.read_csv(dtype=str, keep_default_na=False)`` reads it; otherwise typed (a CSV read by
    ``pd.read_csv`` with its defaults)."""
    path = find_table(folder, stem)
    if path is None:
        return None
    if path.suffix == ".csv":
        if as_text:
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        return pd.read_csv(path)
    table = pd.read_parquet(path)
    if as_text:
        texts = [pc.fill_null(column_text(table[name]), _text("")) for name in table.columns]
        return pa.Table.from_arrays(texts, names=list(table.columns)).to_pandas()
    return table
