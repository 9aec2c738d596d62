"""Which reader each source uses: the sources file (CX_SOURCES_FILE) in one place.

    [sources]
    crm = "hubspot"                          # a shipped vendor adapter (adapters/vendors/)
    support = "canonical"                    # the contract's own format (the default)
    surveys = { mapping = "my_surveys.toml" }  # a custom mapping, relative to this file

A source the file does not name reads the canonical format.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources as package_files
from pathlib import Path

from cx_pipeline.adapters.mapping import MappingError, MappingReader, load_mapping, parse_mapping
from cx_pipeline.contract import ENTITIES
from cx_pipeline.readers import CANONICAL, Reader

VENDORS = package_files.files("cx_pipeline.adapters").joinpath("vendors")


def vendor_adapters() -> dict[str, str]:
    """Name -> description of every shipped vendor adapter."""
    out = {}
    for item in sorted(VENDORS.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".toml"):
            mapping = parse_mapping(tomllib.loads(item.read_text()), item.name)
            out[mapping.name] = mapping.description
    return out


def _vendor(name: str) -> MappingReader:
    item = VENDORS.joinpath(f"{name}.toml")
    if not item.is_file():
        known = ", ".join(["canonical", *vendor_adapters()])
        raise MappingError(f"unknown adapter {name!r}; the shipped ones are: {known}")
    return MappingReader(parse_mapping(tomllib.loads(item.read_text()), item.name))


@functools.cache
def readers(sources_file: str) -> dict[str, Reader]:
    """Source -> reader, from the sources file ('' reads everything in the canonical format)."""
    chosen: dict[str, Reader] = {e.source: CANONICAL for e in ENTITIES}
    if not sources_file:
        return chosen
    path = Path(sources_file)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise MappingError(f"sources file {path}: cannot be read: {e}") from e
    for source, choice in config.get("sources", {}).items():
        if source not in chosen:
            raise MappingError(
                f"sources file {path}: unknown source {source!r}; the sources are "
                f"{', '.join(sorted(chosen))}"
            )
        if isinstance(choice, dict) and "mapping" in choice:
            reader: Reader = MappingReader(load_mapping(path.parent / choice["mapping"]))
        elif choice == "canonical":
            reader = CANONICAL
        elif isinstance(choice, str):
            reader = _vendor(choice)
        else:
            raise MappingError(
                f"sources file {path}: {source} = {choice!r}: name an adapter or a mapping file"
            )
        if isinstance(reader, MappingReader) and reader.mapping.source != source:
            raise MappingError(
                f"sources file {path}: {source} uses {reader.name}, which maps source "
                f"{reader.mapping.source}"
            )
        chosen[source] = reader
    return chosen
