"""Real web servers running sdksign with the shipped configuration files (apache/, lighttpd/, nginx/, systemd/).

Each Deployment lays out a private tree under /tmp that the servers' unprivileged user (www-data) can traverse:

    ROOT/bin/sdksign  ROOT/lib/sdksign/env.so     the relocatable layout: no --plugin-dir anywhere
    ROOT/etc/sdksign.conf                          the configuration file the shipped files point at
    ROOT/conf/...                                  the shipped files, with only their paths filled in
    ROOT/<server>/...                              the server's own wrapper configuration, logs, pid file

fills the shipped templates' @PLACEHOLDERS@ with paths of that tree (what `meson install` fills with the
install's paths), writes the server's wrapper (what Debian's apache2.conf, lighttpd.conf or nginx.conf would
be, with a free port of 127.0.0.1), starts the server in the foreground as its service unit does, and stops it
the way that unit does. Only the Python standard library is used.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import sanitizers

from harness import network, processes
from harness.processes import pids_running, read_text, wait_for

WEB_USER = "www-data"
MOUNT = "/zoom/signature"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0

TARGETS = ["apache-fcgid", "apache-cgi", "apache-htaccess", "lighttpd-fastcgi", "lighttpd-external",
           "lighttpd-cgi", "nginx-unix", "nginx-tcp"]


def find_program(name, *dirs):
    found = shutil.which(name)
    if found:
        return found
    for folder in dirs or ("/usr/sbin", "/usr/local/sbin", "/sbin"):
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def fill(template_path, values, out_path, mode=0o644, edit=None):
    """Writes the template (after edit(text), when given) with each @NAME@ replaced; fails when a
    placeholder is left over."""
    with open(template_path, encoding="utf-8") as f:
        text = f.read()
    if edit is not None:
        text = edit(text)
    for name, value in values.items():
        text = text.replace("@" + name + "@", value)
    leftover = [part for part in text.split("@")[1::2] if part.isupper() and " " not in part]
    if leftover:
        raise RuntimeError(f"{template_path}: placeholders not filled: {leftover}")
    write(out_path, text, mode)
    return text


def apache_modules(template_path):
    """The modules the first `a2enmod` line of a shipped Apache file names (its set-up commands)."""
    with open(template_path, encoding="utf-8") as f:
        for line in f:
            words = line.lstrip("#").split()
            if words[:1] == ["a2enmod"]:
                return words[1:]
    raise RuntimeError(f"{template_path}: no a2enmod line")


def write(path, text, mode=0o644):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


class Deployment:
    """One server with sdksign behind it. start() / stop_gracefully() / cleanup(); url(path) for requests."""

    def __init__(self, target, source_root, sdksign, plugin_dir, key, secret, sdksign_conf="", files=None,
                 edit_shipped=None, server_conf="", video=None, bundle_folder=None):
        """sdksign_conf: the text of sdksign.conf. The optional rest, for tests of settings that need more
        than the shipped files as they are (their defaults change nothing):
          files         {path relative to the root: (text, mode)}: more files, written before sdksign.conf,
                        owned by root with the web server's group, so that mode 0640 lets the server and
                        sdksign (which runs as its user) read them and nobody else;
          edit_shipped  edit_shipped(relative path, text) -> text, applied to every shipped file this
                        deployment reads before its placeholders are filled (to enable a commented example);
          server_conf   more lines for the server's own configuration: Apache before the shipped file is
                        included (LoadModule), lighttpd before the modules that file depends on (what
                        lighty-enable-mod enables, such as 05-auth.conf, comes before 10-fastcgi.conf),
                        nginx in the server block;
          video         (key, secret) of a Video SDK app, configured beside the Meeting SDK one the way each
                        shipped file says, so that the Video SDK endpoint is served too;
          bundle_folder apache-htaccess only: the folder sdksign/ of scripts/bundle's tarball, uploaded as it
                        is (its .htaccess, providers and error documents) instead of sdksign, env.so and the
                        shipped example.
        @NAME@ placeholders (the values below: SDKSIGN_CONF_DIR...) are filled in sdksign_conf and server_conf.
        """
        self.target = target
        self.server = target.split("-")[0]
        self.variant = target.split("-", 1)[1]
        self.source_root = source_root
        self.key, self.secret = key, secret
        self.video = video
        self.root = tempfile.mkdtemp(prefix="sdksign-" + target + "-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.web_uid = pwd.getpwnam(WEB_USER).pw_uid
        self.web_gid = pwd.getpwnam(WEB_USER).pw_gid
        self.processes = []  # (name, Popen) in start order
        self.log_files = []
        self.mount = MOUNT
        for sub in ("bin", "lib/sdksign", "etc", "conf", "htdocs", self.server):
            os.makedirs(os.path.join(self.root, sub), mode=0o755, exist_ok=True)
        # The relocatable layout: bin/ and lib/sdksign/ side by side, found from the executable's own path.
        self.sdksign = os.path.join(self.root, "bin", "sdksign")
        shutil.copy2(sdksign, self.sdksign)
        shutil.copy2(os.path.join(plugin_dir, "env.so"), os.path.join(self.root, "lib", "sdksign", "env.so"))
        for path in (self.sdksign, os.path.join(self.root, "lib", "sdksign", "env.so")):
            os.chmod(path, 0o755)
        self.socket_path = os.path.join(self.root, "run", "sdksign.sock")
        # The JSON error documents of errors/, as meson installs them (NNN.json and NNN.html).
        errors_dir = os.path.join(self.root, "share", "errors")
        os.makedirs(errors_dir, mode=0o755, exist_ok=True)
        for name in os.listdir(os.path.join(source_root, "errors")):
            if name.endswith(".json"):
                for installed in (name, name[:-len(".json")] + ".html"):
                    shutil.copyfile(os.path.join(source_root, "errors", name), os.path.join(errors_dir, installed))
                    os.chmod(os.path.join(errors_dir, installed), 0o644)
        self.values = {
            "SDKSIGN_BIN": self.sdksign,
            "SDKSIGN_CONF_DIR": os.path.join(self.root, "etc"),
            "SDKSIGN_DOC_DIR": os.path.join(self.root, "doc"),
            "SDKSIGN_SOCKET": self.socket_path,
            "SDKSIGN_LIGHTTPD_SOCKET_DIR": os.path.join(self.root, "lighttpd", "run"),
            "SDKSIGN_ERRORS_DIR": errors_dir,
        }
        self.edit_shipped = edit_shipped
        self.bundle_folder = bundle_folder
        self.server_conf = self.placeholders_filled(server_conf)
        for relative, (text, mode) in (files or {}).items():
            path = self.path(relative)
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            write(path, text, mode)
            os.chown(path, 0, self.web_gid)
        write(os.path.join(self.root, "etc", "sdksign.conf"), self.placeholders_filled(sdksign_conf))
        self.port = None
        self.server_process = None

    # ------------------------------------------------------------------------------------------- helpers

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def url(self, case_path):
        """The request path for a path of the request table, which is relative to the mount point."""
        return self.mount + case_path

    def shipped(self, relative):
        return os.path.join(self.source_root, relative)

    def placeholders_filled(self, text):
        for name, value in self.values.items():
            text = text.replace("@" + name + "@", value)
        return text

    def fill_shipped(self, relative, out_path):
        """fill() of a shipped template, after the test's edit_shipped when there is one."""
        edit = None if self.edit_shipped is None else (lambda text: self.edit_shipped(relative, text))
        return fill(self.shipped(relative), self.values, out_path, edit=edit)

    def env(self, extra=None):
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        env.update(extra or {})
        return env

    def credentials(self):
        """The environment variables of each configured app, in order: [(name, value)]."""
        pairs = [("ZOOM_MEETING_SDK_KEY", self.key), ("ZOOM_MEETING_SDK_SECRET", self.secret)]
        if self.video is not None:
            pairs += [("ZOOM_VIDEO_SDK_KEY", self.video[0]), ("ZOOM_VIDEO_SDK_SECRET", self.video[1])]
        return pairs

    def credentials_env(self):
        return dict(self.credentials())

    def popen(self, name, argv, env, user=None):
        log_path = self.path(self.server, name + ".out")
        self.log_files.append(log_path)
        if user is not None:
            # What systemd's User= and Group= do.
            argv = ["setpriv", f"--reuid={self.web_uid}", f"--regid={self.web_gid}", "--clear-groups", "--"] + argv
        with open(log_path, "ab") as log:
            process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                       start_new_session=True)
        self.processes.append((name, process))
        return process

    def logs(self):
        return "\n".join(read_text(p) for p in self.log_files if os.path.exists(p))

    def sdksign_pids(self):
        return pids_running(os.path.realpath(self.sdksign))

    # -------------------------------------------------------------------------------------------- set-up

    def configure(self, port):
        """Writes every configuration file for `port`; returns the argv of the syntax check."""
        self.port = port
        return getattr(self, "configure_" + self.server)()

    def configure_apache(self):
        apache = self.path("apache")
        # The modules of a bare server, then exactly those the shipped file's `a2enmod` line names (so that
        # a module missing there fails here); .htaccess: what a shared host has.
        modules = ["mpm_event", "authz_core", "mime"]
        if self.variant == "htaccess":
            modules += ["alias", "env", "cgid", "headers"]
        else:
            modules += apache_modules(self.shipped(f"apache/sdksign-{self.variant}.conf.in"))
        lines = [
            "# What Debian's apache2.conf and envvars provide, on a private port.",
            f'ServerRoot "{apache}"',
            "ServerName 127.0.0.1",
            f"Listen 127.0.0.1:{self.port}",
            f'PidFile "{apache}/httpd.pid"',
            f'ErrorLog "{apache}/error.log"',
            "LogLevel warn",
            f'DefaultRuntimeDir "{apache}"',
            f"User {WEB_USER}",
            f"Group {WEB_USER}",
        ]
        lines += [f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so" for m in modules]
        lines += [
            "TypesConfig /etc/mime.types",
            # mod_fcgid creates (and chowns) its socket folder itself; it must not exist yet.
            f'FcgidIPCDir "{apache}/fcgidsock"' if self.variant == "fcgid" else f'ScriptSock "{apache}/cgisock"',
            f'FcgidProcessTableFile "{apache}/fcgid_shm"' if self.variant == "fcgid" else "",
            "<Directory />",
            "    AllowOverride None",
            "    Require all denied",
            "</Directory>",
            f'DocumentRoot "{self.path("htdocs")}"',
            f'<Directory "{self.path("htdocs")}">',
            "    Require all granted",
            "</Directory>",
        ]
        lines += self.server_conf.splitlines()
        if self.variant == "htaccess":
            lines += self.configure_htaccess()
        else:
            # The credentials file the shipped configuration includes: root-only, as its comment says.
            write(self.path("etc", "apache-credentials.conf"),
                  "".join(f"Define {name} {value}\n" for name, value in self.credentials()), 0o600)
            conf = self.path("conf", f"apache-{self.variant}.conf")
            self.fill_shipped(f"apache/sdksign-{self.variant}.conf.in", conf)
            lines.append(f'Include "{conf}"')
        self.config_file = os.path.join(apache, "httpd.conf")
        write(self.config_file, "\n".join(lines) + "\n")
        self.server_argv = [find_program("apache2"), "-f", self.config_file, "-DFOREGROUND"]
        return [find_program("apache2"), "-t", "-f", self.config_file]

    def configure_htaccess(self):
        """Shared hosting: sdksign and env.so uploaded side by side into a folder of the site, .htaccess there."""
        upload = self.path("htdocs", "zoom")
        if self.bundle_folder is not None:
            # The bundle's folder uploaded as it is, with the permissions its HOSTING.txt asks for.
            if not os.path.exists(upload):
                shutil.copytree(self.bundle_folder, upload, symlinks=False)
                os.chmod(upload, 0o755)
            htaccess_source = os.path.join(upload, ".htaccess")
        else:
            os.makedirs(upload, mode=0o755, exist_ok=True)
            if not os.path.exists(os.path.join(upload, "sdksign")):
                shutil.move(self.path("bin", "sdksign"), os.path.join(upload, "sdksign"))
                shutil.move(self.path("lib", "sdksign", "env.so"), os.path.join(upload, "env.so"))
            htaccess_source = self.shipped("apache/htaccess.example")
            # The error documents the example asks to upload beside it (its ErrorDocument lines name /zoom/).
            for name in os.listdir(os.path.join(self.source_root, "errors")):
                if name.endswith(".json"):
                    shutil.copyfile(os.path.join(self.source_root, "errors", name), os.path.join(upload, name))
                    os.chmod(os.path.join(upload, name), 0o644)
        self.sdksign = os.path.join(upload, "sdksign")
        with open(htaccess_source, encoding="utf-8") as f:
            text = f.read()
        # The only edit the example asks for: the user's credentials.
        text = text.replace("your-sdk-key", self.key).replace("your-sdk-secret", self.secret)
        if self.video is not None:
            # And the Video SDK app's lines, whose '#' it says to remove.
            text = text.replace("# SetEnv ZOOM_VIDEO_SDK_KEY your-video-sdk-key", f"SetEnv ZOOM_VIDEO_SDK_KEY {self.video[0]}")
            text = text.replace("# SetEnv ZOOM_VIDEO_SDK_SECRET your-video-sdk-secret",
                                f"SetEnv ZOOM_VIDEO_SDK_SECRET {self.video[1]}")
        if self.edit_shipped is not None:
            text = self.edit_shipped("apache/htaccess.example", text)
        write(os.path.join(upload, ".htaccess"), text)
        self.mount = "/zoom/sdksign"
        return [
            # What a shared host grants its customers.
            f'<Directory "{self.path("htdocs")}">',
            "    AllowOverride Options FileInfo AuthConfig Limit",
            "</Directory>",
            '<FilesMatch "^\\.ht">',
            "    Require all denied",
            "</FilesMatch>",
        ]

    def configure_lighttpd(self):
        lighttpd = self.path("lighttpd")
        # The server's user writes its error log and the sockets of the processes it spawns.
        os.makedirs(os.path.join(lighttpd, "run"), exist_ok=True)
        for path in (lighttpd, os.path.join(lighttpd, "run")):
            os.chown(path, self.web_uid, self.web_gid)
        if self.variant == "cgi":
            # The root-only credentials file the CGI variant includes, written as its comment says.
            pairs = self.credentials()
            write(self.path("etc", "lighttpd-credentials.conf"),
                  "".join(f'setenv.add-environment += ( "{pairs[i][0]}" => "{pairs[i][1]}", '
                          f'"{pairs[i + 1][0]}" => "{pairs[i + 1][1]}" )\n' for i in range(0, len(pairs), 2)),
                  0o600)
        conf = self.path("conf", f"lighttpd-{self.variant}.conf")
        text = self.fill_shipped(f"lighttpd/50-sdksign-{self.variant}.conf.in", conf)
        # The modules the file's "depends:" line names, enabled the Debian way (conf-available/NN-name.conf).
        depends = text.split("-*- depends:", 1)[1].split("-*-", 1)[0]
        module_confs = {"fastcgi": "10-fastcgi.conf", "cgi": "10-cgi.conf", "setenv": "05-setenv.conf"}
        includes = [f'include "/etc/lighttpd/conf-available/{module_confs[d.strip()]}"'
                    for d in depends.split(",")]
        lines = [
            "# What Debian's lighttpd.conf provides, on a private port.",
            'server.modules = ( "mod_indexfile", "mod_access", "mod_alias" )',
            f'server.document-root = "{self.path("htdocs")}"',
            f'server.errorlog = "{lighttpd}/error.log"',
            f'server.pid-file = "{lighttpd}/lighttpd.pid"',
            f'server.username = "{WEB_USER}"',
            f'server.groupname = "{WEB_USER}"',
            'server.bind = "127.0.0.1"',
            f"server.port = {self.port}",
            'server.feature-flags += ("server.graceful-shutdown-timeout" => 5)',
        ] + self.server_conf.splitlines() + includes + [f'include "{conf}"']
        self.config_file = os.path.join(lighttpd, "lighttpd.conf")
        write(self.config_file, "\n".join(lines) + "\n")
        self.server_argv = [find_program("lighttpd"), "-D", "-f", self.config_file]
        return [find_program("lighttpd"), "-tt", "-f", self.config_file]

    def configure_nginx(self):
        nginx = self.path("nginx")
        for sub in ("body", "fastcgi", "proxy", "uwsgi", "scgi"):
            os.makedirs(os.path.join(nginx, "tmp", sub), exist_ok=True)
        snippet = self.path("conf", f"nginx-{self.variant}.conf")
        text = self.fill_shipped(f"nginx/sdksign-{self.variant}.conf.in", snippet)
        if self.variant == "tcp":
            self.tcp_port = network.free_port()
            text = text.replace("127.0.0.1:9000", f"127.0.0.1:{self.tcp_port}")
            write(snippet, text)
        lines = [
            f"user {WEB_USER};",
            "worker_processes 1;",
            f"pid {nginx}/nginx.pid;",
            f"error_log {nginx}/error.log warn;",
            "events { worker_connections 64; }",
            "http {",
            "    access_log off;",
        ] + [f"    {kind}_temp_path {nginx}/tmp/{kind.replace('client_body', 'body')};"
             for kind in ("client_body", "fastcgi", "proxy", "uwsgi", "scgi")] + [
            "    server {",
            f"        listen 127.0.0.1:{self.port};",
            "        server_name localhost;",
            f"        include {snippet};",
        ] + [f"        {line}" for line in self.server_conf.splitlines()] + [
            "    }",
            "}",
        ]
        self.config_file = os.path.join(nginx, "nginx.conf")
        write(self.config_file, "\n".join(lines) + "\n")
        self.server_argv = [find_program("nginx"), "-p", nginx, "-c", self.config_file, "-g", "daemon off;"]
        return [find_program("nginx"), "-t", "-q", "-p", nginx, "-c", self.config_file]

    def listen_service_argv(self):
        """ExecStart of the shipped systemd unit, with its paths filled in (TCP: the address nginx-tcp names)."""
        unit = fill(self.shipped("systemd/sdksign.service.in"), self.values, self.path("conf", "sdksign.service"))
        exec_start = next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecStart="))
        environment = dict(line.split("=", 1)[1].split("=", 1) for line in unit.splitlines()
                           if line.startswith("Environment="))
        argv = exec_start.split()
        if self.target == "nginx-tcp":
            at = argv.index("--listen")
            argv[at + 1] = f"127.0.0.1:{self.tcp_port}"
        return argv, environment

    def start_listen_service(self):
        """sdksign --listen as sdksign.service runs it: its RuntimeDirectory, its user in www-data's group."""
        run_dir = os.path.dirname(self.socket_path)
        os.makedirs(run_dir, mode=0o750, exist_ok=True)
        os.chown(run_dir, self.web_uid, self.web_gid)
        argv, environment = self.listen_service_argv()
        env = self.env(environment)
        env.update(self.credentials_env())  # EnvironmentFile=credentials.env
        env.update(sanitizers.environment())  # only read by a sanitized build
        process = self.popen("sdksign", argv, env, user=WEB_USER)
        if self.target == "nginx-tcp":
            address = ("127.0.0.1", self.tcp_port)
            family = socket.AF_INET
        else:
            address, family = self.socket_path, socket.AF_UNIX

        def listening():
            with socket.socket(family, socket.SOCK_STREAM) as s:
                try:
                    s.connect(address)
                    return True
                except OSError:
                    return False
        if not wait_for(lambda: process.poll() is not None or listening(), START_TIMEOUT_S) or \
                process.poll() is not None:
            raise RuntimeError(f"sdksign --listen did not start: {self.logs()[-2000:]}")
        self.listen_process = process
        return process

    # ------------------------------------------------------------------------------------- run and stop

    def start(self):
        """Configures, checks the syntax, starts; returns a list of problems (empty: serving)."""
        for attempt in range(3):
            port = network.free_port()
            check = self.configure(port)
            # lighttpd-fastcgi passes its own environment (EnvironmentFile= of its unit) on to sdksign; the
            # CGI variant reads a credentials file and must start without them.
            env = self.env(self.credentials_env() if self.target == "lighttpd-fastcgi" else None)
            syntax = subprocess.run(check, capture_output=True, timeout=30, env=env)
            if syntax.returncode != 0:
                return [f"{' '.join(check)}: exit {syntax.returncode}: "
                        f"{(syntax.stdout + syntax.stderr).decode(errors='replace')[-1500:]}"]
            if self.variant in ("external", "unix", "tcp"):
                self.start_listen_service()
            self.server_process = self.popen(self.server, self.server_argv, env)
            problem = self.wait_until_serving()
            if problem is None:
                return []
            if attempt == 2 or "in use" not in self.all_logs().lower():
                return [problem + "\n" + self.scrub(self.all_logs()[-4000:])]
            self.cleanup()
            shutil.rmtree(self.path(self.server, "fcgidsock"), ignore_errors=True)
        return ["not reached"]

    def wait_until_serving(self):
        return network.wait_until_serving(self.port, self.server_process, START_TIMEOUT_S, self.url("/health"),
                                          self.server)

    def server_log(self):
        return read_text(self.path(self.server, "error.log"))

    def all_logs(self):
        return self.logs() + "\n" + self.server_log()

    def scrub(self, text):
        return text.replace(self.secret, "<test secret>")

    def sanitizer_problems(self):
        """Sanitizer reports (sanitizers.py) in every log of this deployment: the server's error log, which
        holds the stderr of the sdksign processes it spawned, and the output of the ones started here. Ask
        after the stop, when every sdksign process has exited: a leak is reported at exit."""
        return sanitizers.problems(self.all_logs(), f"the logs of {self.target}")

    def stop_signal(self):
        """The graceful stop of each server's Debian service unit: apache2.service runs `apachectl
        graceful-stop` (SIGWINCH), nginx.service sends QUIT; lighttpd's graceful stop is SIGINT."""
        return {"apache": signal.SIGWINCH, "nginx": signal.SIGQUIT, "lighttpd": signal.SIGINT}[self.server]

    def stop_gracefully(self):
        """Stops the server (then sdksign.service, when it runs on its own) as their units do; returns
        (seconds the server took, seconds sdksign --listen took or None, sdksign's exit status or None)."""
        started = time.monotonic()
        self.server_process.send_signal(self.stop_signal())
        try:
            self.server_process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        server_s = time.monotonic() - started
        listen_s = listen_status = None
        if getattr(self, "listen_process", None) is not None:
            started = time.monotonic()
            self.listen_process.send_signal(signal.SIGTERM)  # systemctl stop sdksign
            try:
                listen_status = self.listen_process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
            listen_s = time.monotonic() - started
        return server_s, listen_s, listen_status

    def cleanup(self):
        """Last resort: whatever is still running of this deployment goes (SIGTERM, then SIGKILL)."""
        for _name, process in reversed(self.processes):
            processes.stop_process(process, STOP_TIMEOUT_S)
        for pid in self.sdksign_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.processes = []

    def remove(self):
        self.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)
