"""One module per export format: its columns (a SourceSpec) and its parser."""
