"""A response body against a botocore output shape: member names, types, enums and required members."""

def shape_errors(shape, value, path):
    """Member names, types, enums and required members of `value` against a botocore shape."""
    errors = []
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return ["%s: expected an object" % path]
        for name in shape.required_members:
            if name not in value:
                errors.append("%s: required member %s missing" % (path, name))
        for name, member in value.items():
            if name not in shape.members:
                errors.append("%s: unknown member %s" % (path, name))
            else:
                errors += shape_errors(shape.members[name], member, path + "." + name)
    elif kind == "list":
        if not isinstance(value, list):
            return ["%s: expected a list" % path]
        for k, item in enumerate(value):
            errors += shape_errors(shape.member, item, "%s[%d]" % (path, k))
    elif kind == "map":
        if not isinstance(value, dict):
            return ["%s: expected a map" % path]
        for k, item in value.items():
            errors += shape_errors(shape.value, item, "%s[%s]" % (path, k))
    elif kind == "string":
        if not isinstance(value, str):
            errors.append("%s: expected a string" % path)
        elif shape.enum and value not in shape.enum:
            errors.append("%s: %r is not one of %s" % (path, value, shape.enum))
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append("%s: expected an integer" % path)
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append("%s: expected a number" % path)
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append("%s: expected a boolean" % path)
    elif kind == "timestamp":
        if not isinstance(value, (int, float)):
            errors.append("%s: expected epoch seconds" % path)
    return errors
