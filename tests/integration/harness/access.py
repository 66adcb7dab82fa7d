"""Deploying sdksign's access policy (cors-origin, origin-check, allowed-meetings, bearer-token-file) with the
shipped files: the policy's values and the steps the shipped files' comments tell a deployer to take."""

ALLOWED_ORIGIN = "https://meet.example.com"
OTHER_ORIGIN = "https://evil.example.net"
LISTED_MEETING = "85746065432"


def enable_example(text, name):
    """The shipped text with its commented example `name` enabled: the '#' that starts each line between the
    markers removed (the indentation before it kept), as the file tells a deployer to do."""
    lines = text.split("\n")
    begin = f"# --- example: {name} ---"
    starts = [i for i, line in enumerate(lines) if line.strip() == begin]
    if len(starts) != 1:
        raise RuntimeError(f"the shipped file has {len(starts)} lines {begin!r}, expected 1")
    ends = [i for i in range(starts[0], len(lines)) if lines[i].strip() == "# --- end of example ---"]
    if not ends:
        raise RuntimeError(f"no '# --- end of example ---' after {begin!r}")
    for i in range(starts[0] + 1, ends[0]):
        stripped = lines[i].lstrip()
        if not stripped.startswith("#"):
            raise RuntimeError(f"line {i + 1} of example {name!r} is not commented out: {lines[i]!r}")
        lines[i] = lines[i][:len(lines[i]) - len(stripped)] + stripped[1:]
    return "\n".join(lines)


def bearer_file(token):
    """The `files` of a servers.Deployment that holds the bearer token at etc/bearer-token."""
    # Read by sdksign, which runs as the web server's user: root-owned, group www-data, mode 0640.
    return {"etc/bearer-token": (token + "\n", 0o640)}
