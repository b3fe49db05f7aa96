"""Plan files: the format (``schema``, pydantic, source of the JSON Schema), reading and checking
them (``files``, on the shared reader ``core.datafiles``), importing them (``importer``) and
writing an edition back out (``export``)."""
