"""What the integration tests share (Python standard library only):

    network     free ports, HTTP requests and raw HTTP answers, waiting for a server, listening sockets
    processes   /proc look-ups, process groups, stopping and waiting, scratch folders, log files
    servers     real web servers (Apache, lighttpd, nginx) running sdksign with the shipped files
    tokens      the test key and secrets, JWT decoding and HMAC-SHA256 verification
    contract    sdksign's HTTP answers checked against its contract: signatures, JSON errors, bearer refusals
    access      the access policy's test values, enabling a shipped file's commented example, the token file
    reports     one line per check, the secrets scrubbed, `N passed, M failed` and the exit status

meson puts tests/integration on PYTHONPATH for every Python test; a script run by hand from this folder finds
the package beside it, and one elsewhere (bench/, tests/fresh/, tests/browser/) adds tests/integration to
sys.path itself.
"""
