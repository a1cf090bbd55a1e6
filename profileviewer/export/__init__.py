"""Export every profile (and optionally its events) for model training.

``manage.py export_profiles`` is the command-line face of :func:`run_export`; see
``profileviewer/export/runner.py`` for the guarantees (atomic output, resumable checkpoints).
"""

from profileviewer.export.runner import (
    ExportError,
    ExportInterrupted,
    ExportOptions,
    ExportResult,
    ExportUsageError,
    UpstreamFailure,
    run_export,
)

__all__ = [
    "ExportError",
    "ExportInterrupted",
    "ExportOptions",
    "ExportResult",
    "ExportUsageError",
    "UpstreamFailure",
    "run_export",
]
