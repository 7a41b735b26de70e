"""Statement files (issue 18 item 4): one pure renderer per format, from the document of
`services.clearing.domain.statement_files` to bytes; no I/O."""
