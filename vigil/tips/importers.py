"""The bulk importer's old module path, kept for callers: the code is vigil/tips/importing/."""

from vigil.tips.importing import (  # noqa: F401
    BATCH,
    COLUMNS,
    FORMATS,
    Importer,
    ImportFileError,
    RowError,
    Summary,
    TipRow,
    detect_format,
    import_file,
    record_to_row,
)
