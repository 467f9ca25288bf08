#!/usr/bin/env python3
"""Validates a wslplug --json document against its schema in docs/schema/.

usage: validate_json.py SCHEMA_DIR NAME [FILE]

NAME is the schema's file stem (sign, verify, doctor-dll, usage, ...). The document is read from
FILE, or from stdin without one. Exit 0: valid; 1: the document violates the schema (each
violation on stderr with its JSON path); 2: usage, unreadable input, not JSON, or a schema that is
not a valid draft 2020-12 schema. Works with python3-jsonschema 4.10 (Debian 12: RefResolver)
and with 4.18+ (the referencing library).
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("validate_json: python3-jsonschema is missing: run scripts/setup", file=sys.stderr)
    sys.exit(2)


def load_schemas(schema_dir):
    schemas = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".json"):
            with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
                schemas[name[:-5]] = json.load(f)
    return schemas


def validator_for(schemas, name):
    cls = jsonschema.Draft202012Validator
    for schema in schemas.values():
        cls.check_schema(schema)
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError:
        store = {s["$id"]: s for s in schemas.values()}
        resolver = jsonschema.RefResolver.from_schema(schemas[name], store=store)
        return cls(schemas[name], resolver=resolver)
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
        for s in schemas.values())
    return cls(schemas[name], registry=registry)


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    schema_dir, name = argv[1], argv[2]
    try:
        schemas = load_schemas(schema_dir)
        if name not in schemas:
            print(f"validate_json: no schema {name}.json in {schema_dir}", file=sys.stderr)
            return 2
        validator = validator_for(schemas, name)
        text = open(argv[3], encoding="utf-8").read() if len(argv) == 4 else sys.stdin.read()
        document = json.loads(text)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f"validate_json: {e}", file=sys.stderr)
        return 2
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for e in errors:
        path = "$" + "".join(f"[{p!r}]" for p in e.absolute_path)
        print(f"{name}.json: {path}: {e.message}", file=sys.stderr)
        for sub in sorted(e.context or [], key=lambda s: list(s.absolute_path))[:6]:
            sub_path = "$" + "".join(f"[{p!r}]" for p in sub.absolute_path)
            print(f"    ({sub_path}: {sub.message})", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
