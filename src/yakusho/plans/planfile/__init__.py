"""Plan files: the format (``schema``, pydantic, source of the JSON Schema), reading and writing them
(``files``) and the fast YAML reader for large files (``fastyaml``)."""
