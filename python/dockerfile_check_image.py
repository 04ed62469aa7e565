"""The dockerfile-check verifier's model of a Docker build, for machines without Docker.

No Dockerfile parser is packaged for both Python stacks (Debian 12 has no python3-dockerfile-parse and the
package index has no dockerfile-parse), so this module reads a Dockerfile the way BuildKit does and then
replays it on paper:

- Parsing: parser directives (`# syntax=`, `# escape=`) at the top, comment lines (also inside a continued
  instruction), blank lines, the escape character (`\\`) continuing a line, heredocs (`RUN <<EOF`), flags
  (`--from=`, `--mount=`), exec form (JSON arrays) and shell form, `$VAR` / `${VAR:-default}` expansion from
  ARG and ENV.
- Replay: each stage starts from its base image, whose programs are BASE_PROGRAMS (written down from the
  docker-library/python Dockerfiles and Debian's minimal system: no Docker here to list them), or from an
  earlier stage. COPY and ADD put build-context files (after .dockerignore) into the stage's file system,
  `apt-get install` adds the programs of the packages it names (APT_PROGRAMS, else a program named like the
  package), `pip install` adds the distributions it names or reads from a requirements file, with their
  console scripts (CONSOLE_SCRIPTS, else a script named like the distribution). WORKDIR, USER, ENV, ARG,
  EXPOSE, HEALTHCHECK, CMD, ENTRYPOINT and SHELL are recorded.
- Shell commands are split into simple commands (`a && b || c; d | e`, subshells, `$(...)`), with variable
  assignments, redirections, shell keywords and wrappers (`exec`, `env`, `timeout`, `tini --`, ...) taken off,
  so that the program each command runs can be looked up.
"""
import json
import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field

# Programs on PATH in python:3.11-slim (Debian trixie; the -bookworm and -bullseye variants also have
# adduser). Debian's essential packages: bash, dash, coreutils, debianutils, diffutils, findutils, grep,
# gzip, hostname, mawk, ncurses-bin, perl-base, sed, tar, util-linux, libc-bin, dpkg, apt, passwd,
# ca-certificates; and Python installed by docker-library/python into /usr/local/bin. No curl, no wget
# (the Python build purges it), no gcc, no git, no procps (ps, pkill).
BASE_PROGRAMS = frozenset("""
sh bash dash rbash
[ arch b2sum base32 base64 basename basenc cat chcon chgrp chmod chown chroot cksum comm cp csplit cut date dd
df dir dircolors dirname du echo env expand expr factor false fmt fold groups head hostid id install join link ln
logname ls md5sum mkdir mkfifo mknod mktemp mv nice nl nohup nproc numfmt od paste pathchk pinky pr printenv
printf ptx pwd readlink realpath rm rmdir runcon seq sha1sum sha224sum sha256sum sha384sum sha512sum shred shuf
sleep sort split stat stdbuf stty sum sync tac tail tee test timeout touch tr true truncate tsort tty uname
unexpand uniq unlink users vdir wc who whoami yes
which run-parts ischroot
find xargs grep egrep fgrep sed awk mawk tar gzip gunzip zcat zgrep diff cmp diff3 sdiff
hostname dnsdomainname domainname
su runuser setpriv getopt flock setsid taskset ionice nsenter unshare more rev logger renice chrt mount umount
mountpoint findmnt lsblk fallocate script
useradd userdel usermod groupadd groupdel groupmod chpasswd chgpasswd chage passwd chfn chsh gpasswd pwck grpck
pwconv grpconv
getent ldd ldconfig locale localedef iconv getconf tzselect zdump
dpkg dpkg-query dpkg-deb dpkg-divert dpkg-split dpkg-statoverride dpkg-trigger start-stop-daemon
update-alternatives apt apt-get apt-cache apt-config apt-mark
perl clear tput tset reset infocmp tic toe
update-ca-certificates
python python3 python3.11 python-config python3-config python3.11-config pip pip3 pip3.11 pydoc pydoc3
pydoc3.11 idle idle3 idle3.11 2to3 2to3-3.11 wheel
""".split())
OLDER_DEBIAN_PROGRAMS = frozenset({"adduser", "addgroup", "deluser", "delgroup"})  # gone from trixie-slim

# Users in the base image (Debian's base-passwd), besides root.
BASE_USERS = frozenset("daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc nobody".split())

APT_PROGRAMS = {
    "curl": {"curl"}, "wget": {"wget"}, "netcat-openbsd": {"nc", "netcat"}, "netcat-traditional": {"nc", "netcat"},
    "procps": {"ps", "pgrep", "pkill", "top", "free", "kill", "uptime", "watch", "pidof"},
    "tini": {"tini", "tini-static"}, "dumb-init": {"dumb-init"}, "gosu": {"gosu"},
    "adduser": set(OLDER_DEBIAN_PROGRAMS), "iputils-ping": {"ping"},
    "postgresql-client": {"psql", "pg_isready", "pg_dump"}, "build-essential": {"gcc", "g++", "cc", "make"},
    "gcc": {"gcc", "cc"}, "libpq-dev": {"pg_config"}, "dnsutils": {"dig", "nslookup"},
    "bind9-dnsutils": {"dig", "nslookup"}, "ca-certificates": {"update-ca-certificates"},
}
CONSOLE_SCRIPTS = {
    "gunicorn": {"gunicorn"}, "uvicorn": {"uvicorn"}, "uvicorn-worker": set(), "pytest": {"pytest", "py.test"},
    "pip": {"pip", "pip3"}, "python-dotenv": {"dotenv"}, "setuptools": set(), "wheel": {"wheel"},
}
IMPORT_NAMES = {"uvicorn-worker": "uvicorn_worker", "python-dotenv": "dotenv", "pyyaml": "yaml"}

SHELL_BUILTINS = frozenset("""
: . alias bg break builtin cd command continue declare echo eval exec exit export false fg getopts hash jobs
kill local printf pwd read readonly return set shift source test [ times trap true type typeset ulimit umask
unalias unset wait
""".split())
SHELL_KEYWORDS = frozenset("if then else elif fi do done while until case esac in ! { } [[ ]] function select".split())
SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;", "|&", "\n"})
REDIRECTIONS = re.compile(r"^\d*(>>?|<<?<?|>&|<&|&>>?|>\|)$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass
class Instruction:
    keyword: str
    rest: str          # everything after the keyword, continuation lines joined
    line: int
    heredocs: list = field(default_factory=list)  # [(name, body)] for `<<NAME` in RUN/COPY/ADD

    def __repr__(self):
        return f"line {self.line}: {self.keyword} {self.rest}"


# ---- parsing ---------------------------------------------------------------------------------------------

def parse(text):
    """Instructions of a Dockerfile, the way BuildKit's parser reads it."""
    lines = text.splitlines()
    escape, i = "\\", 0
    while i < len(lines):  # parser directives: only at the very top, before any other line
        match = re.match(r"^\s*#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$", lines[i])
        if not match:
            break
        if match.group(1).lower() == "escape":
            escape = match.group(2)
        i += 1
    instructions = []
    while i < len(lines):
        raw = lines[i]
        i += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        start, buffer = i, raw.rstrip()
        while buffer.endswith(escape) and i <= len(lines):
            buffer = buffer[: -len(escape)]
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1  # comment and empty lines inside a continuation are dropped
            if i >= len(lines):
                break
            buffer += lines[i].rstrip()  # Docker drops the escape and the newline, nothing else
            i += 1
        keyword, _, rest = buffer.strip().partition(" ")
        instruction = Instruction(keyword.upper(), rest.strip(), start)
        if instruction.keyword in ("RUN", "COPY", "ADD"):
            for dash, name in re.findall(r"<<(-?)[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?", rest):
                body = []
                while i < len(lines) and (lines[i].lstrip("\t") if dash else lines[i]) != name:
                    body.append(lines[i].lstrip("\t") if dash else lines[i])
                    i += 1
                i += 1  # the terminator line
                instruction.heredocs.append((name, "\n".join(body) + "\n"))
        instructions.append(instruction)
    return instructions


def split_flags(rest):
    """`--name=value` flags in front of the arguments (COPY --from=..., RUN --mount=..., FROM --platform=...)."""
    flags, text = [], rest.lstrip()
    while text.startswith("--"):
        word, _, text = text.partition(" ")
        name, _, value = word[2:].partition("=")
        flags.append((name.lower(), value))
        text = text.lstrip()
    return flags, text


def exec_form(text):
    """The argv of a JSON-array (exec form) instruction, or None for shell form."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def expand(text, variables):
    """Docker's variable substitution: $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}."""
    def replace(match):
        name = match.group(1) or match.group(2)
        operator, word = match.group(3), match.group(4)
        value = variables.get(name)
        if operator == ":-":
            return value if value else expand(word, variables)
        if operator == ":+":
            return expand(word, variables) if value else ""
        return value or ""
    return re.sub(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-+])([^}]*))?\})", replace, text)


def assignments(keyword, text):
    """(name, value) pairs of an ENV or ARG instruction (`KEY=value ...`, the legacy `ENV KEY value`, bare ARG)."""
    try:
        words = shlex.split(text, posix=True)
    except ValueError:
        words = text.split()
    if keyword == "ENV" and words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    pairs = []
    for word in words:
        name, eq, value = word.partition("=")
        pairs.append((name, value if eq else None))
    return pairs


# ---- .dockerignore --------------------------------------------------------------------------------------

def _pattern_regex(pattern):
    out, i = "^", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out, i = out + "(.*/)?", i + 3
            continue
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end = pattern.find("]", i)
            if end == -1:
                out += re.escape(c)
            else:
                body = pattern[i + 1:end].replace("\\", "\\\\")
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = end
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + "$")


def dockerignore_patterns(text):
    """(exclude?, regex) per line, cleaned the way Docker cleans them (leading `/`, trailing `/`, `./`)."""
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:].strip()
        line = posixpath.normpath(line).lstrip("/")
        if line in ("", "."):
            continue
        patterns.append((not negate, _pattern_regex(line)))
    return patterns


def is_ignored(patterns, path):
    """Docker's rule: the last pattern that matches the path, or one of its parent folders, decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for exclude, regex in patterns:
        if any(regex.match(c) for c in candidates):
            ignored = exclude
    return ignored


# ---- shell commands -------------------------------------------------------------------------------------

@dataclass
class Command:
    argv: list
    env: dict  # inline assignments (`PIP_NO_CACHE_DIR=1 pip install ...`, `env X=1 ...`)


def simple_commands(script):
    """The simple commands a shell script runs, with assignments, redirections and wrappers taken off."""
    script = script.replace("\\\n", " ").replace("\n", " \n ")
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to words
        tokens = script.split()
    commands, current, skip_next, in_for = [], [], False, False
    for token in tokens + [";"]:
        if skip_next:
            skip_next = False
            continue
        if token in SEPARATORS:
            if current:
                commands.append(current)
            current, in_for = [], False
            continue
        if REDIRECTIONS.match(token):
            skip_next = not token.endswith("&") or token in (">&", "<&")
            continue
        if in_for:
            continue
        if not current and token == "for":
            in_for = True
            continue
        if not current and token in SHELL_KEYWORDS:
            continue
        current.append(token)
    return [unwrap(words) for words in commands if words]


def unwrap(words):
    """Takes assignments and wrappers off a command: `A=1 exec env -i B=2 timeout 5 nice pip ...` -> pip."""
    env, words = {}, list(words)
    while words:
        head = posixpath.basename(words[0])
        if ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        elif head in ("exec", "command", "nohup", "time", "builtin"):
            words.pop(0)
            while words and words[0].startswith("-"):
                words.pop(0)
        elif head == "env":
            words.pop(0)
            while words and (words[0].startswith("-") or ASSIGNMENT.match(words[0])):
                word = words.pop(0)
                if ASSIGNMENT.match(word):
                    name, _, value = word.partition("=")
                    env[name] = value
                elif word in ("-u", "--unset", "-C", "--chdir", "-S") and words:
                    words.pop(0)
        elif head in ("nice", "timeout", "ionice", "stdbuf", "setsid"):
            words.pop(0)
            while words and words[0].startswith("-"):
                option = words.pop(0)
                if option in ("-n", "-s", "-k", "-c", "--signal", "--kill-after") and words:
                    words.pop(0)
            if head == "timeout" and words:
                words.pop(0)  # the duration
        else:
            break
    return Command(words, env)


def shell_argv(script):
    """The words of a one-command shell form (`CMD gunicorn app:x -k ...`), as /bin/sh would split them."""
    commands = simple_commands(script)
    return commands[0].argv if commands else []


# ---- the build replay -----------------------------------------------------------------------------------

@dataclass
class RunStep:
    instruction: Instruction
    commands: list            # [Command]; exec-form RUN gives one command with its argv
    stage: "Stage"
    env: dict                 # ENV in force
    files: dict               # image path -> source, before this step
    mounts: dict              # bind mounts: image path -> source
    cache_mounts: list        # targets of --mount=type=cache
    workdir: str


@dataclass
class Stage:
    index: int
    name: str
    from_instruction: Instruction
    base: str                 # the image named by FROM, after ARG expansion
    parent: "Stage" = None    # FROM <earlier stage>
    instructions: list = field(default_factory=list)
    files: dict = field(default_factory=dict)          # image path -> ("context", path) | ("text", content)
    programs: set = field(default_factory=set)
    python_packages: set = field(default_factory=set)  # distribution names (normalised)
    users: set = field(default_factory=set)
    user: str = None
    user_instruction: Instruction = None
    env: dict = field(default_factory=dict)
    args: dict = field(default_factory=dict)
    workdir: str = "/"
    exposed: list = field(default_factory=list)
    cmd: Instruction = None
    entrypoint: Instruction = None
    healthcheck: Instruction = None
    shell: list = field(default_factory=lambda: ["/bin/sh", "-c"])
    runs: list = field(default_factory=list)            # RunStep
    copies: list = field(default_factory=list)          # (instruction, [image paths added])
    copied_from: set = field(default_factory=set)       # indexes of stages this one COPY --from's
    problems: list = field(default_factory=list)        # (instruction, message): a build that would fail


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(lines, read_file):
    """Distribution names from requirement lines; `-r other.txt` is followed through read_file(path)."""
    names = set()
    for line in lines:
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        nested = re.match(r"^(-r|--requirement)\s*=?\s*(\S+)", line)
        if nested:
            text = read_file(nested.group(2))
            if text is not None:
                names |= requirement_names(text.splitlines(), read_file)
            continue
        if line.startswith("-"):
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match:
            names.add(normalise(match.group(1)))
    return names


PIP_VALUE_OPTIONS = frozenset("""
-r --requirement -c --constraint -e --editable -t --target --prefix --root -i --index-url --extra-index-url -f
--find-links --trusted-host --platform --python-version --implementation --abi --only-binary --no-binary
--progress-bar --cache-dir --log --timeout --retries --src --upgrade-strategy --global-option --config-settings
-C --report --python --proxy --cert --client-cert --exists-action --keyring-provider --use-feature
--use-deprecated
""".split())


def pip_install_args(command):
    """The arguments after `install` if `command` is a pip install (pip, pip3, python -m pip, .../bin/pip)."""
    argv = command.argv
    if not argv:
        return None
    head = posixpath.basename(argv[0])
    if re.fullmatch(r"pip(3(\.\d+)?)?", head):
        rest = argv[1:]
    elif re.fullmatch(r"python(3(\.\d+)?)?", head):
        try:
            m = argv.index("-m")
        except ValueError:
            return None
        if m + 1 >= len(argv) or argv[m + 1] != "pip":
            return None
        rest = argv[m + 2:]
    else:
        return None
    words = [w for w in rest if not w.startswith("-")]
    if not words or words[0] != "install":
        return None
    return rest


def pip_requirements(args):
    """(requirement files, requirement specifiers) named by pip install arguments."""
    files, specs, i = [], [], 0
    while i < len(args):
        word = args[i]
        if word in ("-r", "--requirement") and i + 1 < len(args):
            files.append(args[i + 1])
            i += 2
            continue
        if word.startswith("--requirement="):
            files.append(word.split("=", 1)[1])
        elif word.startswith("-r") and len(word) > 2:
            files.append(word[2:])
        elif word in PIP_VALUE_OPTIONS:
            i += 1
        elif not word.startswith("-") and word != "install":
            specs.append(word)
        i += 1
    return files, specs


class Build:
    """A Dockerfile replayed against a build context (a folder) without Docker."""

    def __init__(self, dockerfile_text, context_dir, dockerignore_text=""):
        self.instructions = parse(dockerfile_text)
        self.context_dir = context_dir
        patterns = dockerignore_patterns(dockerignore_text)
        self.context = sorted(
            path for path in self._walk(context_dir) if not is_ignored(patterns, path)
        )
        self.stages = []
        self.global_args = {}
        self._replay()

    @staticmethod
    def _walk(root):
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                yield os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")

    @property
    def final(self):
        return self.stages[-1] if self.stages else None

    def read_context(self, path):
        path = posixpath.normpath(path).lstrip("/")
        if path not in self.context:
            return None
        with open(os.path.join(self.context_dir, path), encoding="utf-8", errors="replace") as fh:
            return fh.read()

    def read_image(self, stage, path, extra=None):
        """Text of a file in a stage's image (a COPY from the context, or a heredoc), else None."""
        source = (extra or {}).get(path) or stage.files.get(path)
        if source is None:
            return None
        kind, value = source
        if kind == "context":
            return self.read_context(value)
        return value if kind == "text" else None

    def stage_named(self, name):
        for stage in self.stages:
            if stage.name == name.lower() or str(stage.index) == name:
                return stage
        return None

    def ancestors(self, stage):
        """The stages whose results end up in `stage`: its FROM chain and every COPY --from, transitively."""
        seen, todo = [], [stage]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.append(current)
            if current.parent:
                todo.append(current.parent)
            todo.extend(self.stages[i] for i in current.copied_from)
        return sorted(seen, key=lambda s: s.index)

    # -- replay --

    def _replay(self):
        for ins in self.instructions:
            if ins.keyword == "FROM":
                self._from(ins)
            elif not self.stages:
                if ins.keyword == "ARG":
                    for name, value in assignments("ARG", ins.rest):
                        self.global_args[name] = expand(value or "", self.global_args)
            else:
                stage = self.stages[-1]
                stage.instructions.append(ins)
                handler = getattr(self, "_" + ins.keyword.lower(), None)
                if handler:
                    handler(stage, ins)

    def _from(self, ins):
        _, text = split_flags(ins.rest)
        words = text.split()
        image = expand(words[0], self.global_args) if words else ""
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        parent = self.stage_named(image)
        stage = Stage(index=len(self.stages), name=name, from_instruction=ins, base=image, parent=parent)
        if parent:
            for attr in ("files", "programs", "python_packages", "users", "env", "exposed"):
                value = getattr(parent, attr)
                setattr(stage, attr, dict(value) if isinstance(value, dict) else type(value)(value))
            stage.user, stage.user_instruction, stage.workdir = parent.user, parent.user_instruction, parent.workdir
            stage.cmd, stage.entrypoint, stage.healthcheck, stage.shell = (
                parent.cmd, parent.entrypoint, parent.healthcheck, list(parent.shell))
        else:
            stage.programs = set(BASE_PROGRAMS)
            if re.search(r"-(bookworm|bullseye|buster)\b", image):
                stage.programs |= OLDER_DEBIAN_PROGRAMS
            stage.python_packages = {"pip", "setuptools", "wheel"}
            stage.users = set(BASE_USERS)
            stage.env = {"PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"}
        self.stages.append(stage)

    def _variables(self, stage):
        return {**self.global_args, **stage.args, **stage.env}

    def _arg(self, stage, ins):
        for name, value in assignments("ARG", ins.rest):
            if value is None:
                value = self.global_args.get(name)
            stage.args[name] = expand(value or "", self._variables(stage))

    def _env(self, stage, ins):
        for name, value in assignments("ENV", ins.rest):
            stage.env[name] = expand(value or "", self._variables(stage))

    def _workdir(self, stage, ins):
        path = expand(ins.rest.strip(), self._variables(stage))
        stage.workdir = posixpath.normpath(posixpath.join(stage.workdir, path))

    def _user(self, stage, ins):
        stage.user = expand(ins.rest.strip(), self._variables(stage))
        stage.user_instruction = ins

    def _expose(self, stage, ins):
        stage.exposed.extend(expand(ins.rest, self._variables(stage)).split())

    def _cmd(self, stage, ins):
        stage.cmd = ins

    def _entrypoint(self, stage, ins):
        stage.entrypoint = ins

    def _healthcheck(self, stage, ins):
        stage.healthcheck = ins

    def _shell(self, stage, ins):
        argv = exec_form(ins.rest)
        if argv:
            stage.shell = argv
            self._need_program(stage, ins, argv[0])

    def _need_program(self, stage, ins, program, programs=None):
        available = stage.programs if programs is None else programs
        if not self.program_exists(stage, program, available):
            stage.problems.append((ins, f"runs `{program}`, which is not in the image at that point"))

    def program_exists(self, stage, program, available=None):
        available = stage.programs if available is None else available
        if program.startswith("$") or program in SHELL_BUILTINS:
            return True
        if "/" in program:
            path = posixpath.normpath(posixpath.join(stage.workdir, program))
            if path in stage.files:
                return True
            program = posixpath.basename(program)
        return program in available

    def _copy(self, stage, ins, add=False):
        flags, text = split_flags(ins.rest)
        flags = dict(flags)
        variables = self._variables(stage)
        words = exec_form(text) or [w for w in text.split() if w]
        words = [expand(w, variables) for w in words]
        if len(words) < 2:
            stage.problems.append((ins, "needs a source and a destination"))
            return
        sources, dest = words[:-1], words[-1]
        dest_path = posixpath.normpath(posixpath.join(stage.workdir, dest))
        origin = None
        if "from" in flags:
            origin = self.stage_named(expand(flags["from"], variables))
            if origin is None:
                stage.copies.append((ins, []))
                return  # an external image: nothing known about its files
            stage.copied_from.add(origin.index)
        heredocs = dict(ins.heredocs)
        entries = []  # (relative name inside dest, source, is_single_file)
        for src in sources:
            if src.startswith("<<"):
                name = src.lstrip("<-").strip("\"'")
                entries.append((None, ("text", heredocs.get(name, "")), True))
                continue
            if add and re.match(r"^[a-z]+://", src):
                continue
            found = self._resolve_sources(src, origin, stage)
            if not found:
                where = f"stage {origin.name or origin.index}" if origin else "the build context (after .dockerignore)"
                stage.problems.append((ins, f"copies `{src}`, which is not in {where}"))
            entries.extend(found)
        into_dir = dest.endswith("/") or len(sources) > 1 or dest_path == stage.workdir or any(
            not single for _, _, single in entries) or any(p.startswith(dest_path + "/") for p in stage.files)
        added = []
        for relative, source, single in entries:
            if single and not into_dir:
                target = dest_path
            else:
                target = posixpath.normpath(posixpath.join(dest_path, relative or dest_path.rsplit("/", 1)[-1]))
            stage.files[target] = source
            added.append(target)
        if origin is not None:
            self._inherit_from(stage, origin)
        stage.copies.append((ins, added))

    def _add(self, stage, ins):
        self._copy(stage, ins, add=True)

    def _inherit_from(self, stage, origin):
        # A COPY --from of an earlier stage brings what that stage installed (a venv, /usr/local): counted as
        # a whole, since which folder holds which console script is more than this model tracks.
        stage.programs |= origin.programs
        stage.python_packages |= origin.python_packages

    def _resolve_sources(self, src, origin, stage):
        """(name relative to the destination, source, single file?) for each file a COPY source names."""
        if origin is not None:
            root = posixpath.normpath(posixpath.join(origin.workdir, src)) if not src.startswith("/") else posixpath.normpath(src)
            out = []
            for path, source in origin.files.items():
                if path == root:
                    out.append((posixpath.basename(path), source, True))
                elif path.startswith(root.rstrip("/") + "/"):
                    out.append((path[len(root.rstrip("/")) + 1:], source, False))
            if not out:  # installed files (a venv, site-packages) are not tracked one by one
                out.append((posixpath.basename(root), ("dir", root), False))
            return out
        clean = posixpath.normpath(src).lstrip("/")
        if clean in ("", "."):
            return [(path, ("context", path), False) for path in self.context]
        if any(c in clean for c in "*?["):
            regex = _pattern_regex(clean)
            out = []
            for path in self.context:
                parts = path.split("/")
                for n in range(len(parts)):
                    head = "/".join(parts[: n + 1])
                    if regex.match(head):
                        inner = "/".join(parts[n:]) if n + 1 < len(parts) else parts[-1]
                        out.append((inner, ("context", path), n + 1 == len(parts)))
                        break
            return out
        if clean in self.context:
            return [(posixpath.basename(clean), ("context", clean), True)]
        prefix = clean.rstrip("/") + "/"
        return [(path[len(prefix):], ("context", path), False) for path in self.context if path.startswith(prefix)]

    def _run(self, stage, ins):
        flags, text = split_flags(ins.rest)
        variables = self._variables(stage)
        mounts, cache_mounts = {}, []
        for name, value in flags:
            if name != "mount":
                continue
            options = dict(part.partition("=")[::2] for part in value.split(","))
            kind = options.get("type", "bind")
            target = options.get("target") or options.get("dst") or options.get("destination") or ""
            target = posixpath.normpath(posixpath.join(stage.workdir, expand(target, variables)))
            if kind == "cache":
                cache_mounts.append(target)
            elif kind == "bind" and "from" not in options:
                source = posixpath.normpath(options.get("source", options.get("src", ".")) or ".").lstrip("/")
                if source in self.context:
                    mounts[target] = ("context", source)
                else:
                    for path in self.context:
                        if source in ("", ".") or path.startswith(source + "/"):
                            inner = path if source in ("", ".") else path[len(source) + 1:]
                            mounts[posixpath.join(target, inner)] = ("context", path)
        argv = exec_form(text)
        if argv is not None:
            commands = [Command(argv, {})]
            if posixpath.basename(argv[0]) in ("sh", "bash", "dash") and "-c" in argv[1:-1]:
                commands += simple_commands(argv[argv.index("-c") + 1])
        else:
            script = "\n".join(body for _, body in ins.heredocs) if ins.heredocs and text.lstrip().startswith("<<") else text
            self._need_program(stage, ins, stage.shell[0])
            commands = simple_commands(script)
        step = RunStep(ins, commands, stage, dict(stage.env), dict(stage.files), mounts, cache_mounts, stage.workdir)
        stage.runs.append(step)
        for command in commands:
            if command.argv:
                self._need_program(stage, ins, command.argv[0])
            self._effects(stage, step, command)

    def _effects(self, stage, step, command):
        argv = command.argv
        if not argv:
            return
        head = posixpath.basename(argv[0])
        if head in ("apt-get", "apt") and "install" in argv:
            after = argv[argv.index("install") + 1:]
            for package in after:
                if package.startswith("-"):
                    continue
                package = re.split(r"[=:]", package)[0]
                stage.programs |= APT_PROGRAMS.get(package, {package})
        elif head in ("useradd", "adduser"):
            positional, skip = [], False
            for word in argv[1:]:
                if skip:
                    skip = False
                elif word.startswith("-"):
                    skip = "=" not in word and word in (
                        "-c", "--comment", "-d", "--home", "--home-dir", "-e", "-f", "-g", "--gid", "-G", "--groups",
                        "-k", "-K", "-p", "-s", "--shell", "-u", "--uid", "-R", "-P", "-b", "--base-dir", "-Z",
                        "--gecos", "--ingroup", "--firstuid", "--lastuid", "--conf", "--key", "--password",
                        "--expiredate", "--inactive", "--skel", "--root", "--prefix", "--selinux-user",
                        "--firstgid", "--lastgid", "--add-extra-groups")
                else:
                    positional.append(word)
            if positional:
                stage.users.add(positional[-1] if head == "useradd" else positional[0])
        args = pip_install_args(command)
        if args is not None:
            files, specs = pip_requirements(args)
            for spec in specs:
                match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
                if match and not spec.startswith((".", "/")):
                    self._installed(stage, normalise(match.group(1)))
            for path in files:
                text = self.read_requirement(step, path)
                if text is not None:
                    names = requirement_names(text.splitlines(), lambda p: self.read_requirement(step, p))
                    for name in names:
                        self._installed(stage, name)

    def read_requirement(self, step, path):
        image_path = posixpath.normpath(posixpath.join(step.workdir, path))
        return self.read_image(step.stage, image_path, {**step.files, **step.mounts})

    def _installed(self, stage, name):
        stage.python_packages.add(name)
        stage.programs |= CONSOLE_SCRIPTS.get(name, {name})

    # -- queries the verifier uses --

    def command_argv(self, stage):
        """(argv the container runs, how it was found): ENTRYPOINT + CMD as Docker combines them.
        Shell forms are split the way /bin/sh would split them, so later checks still see the words."""
        entry = stage.entrypoint
        entry_argv = None
        if entry is not None:
            entry_argv = exec_form(entry.rest)
            if entry_argv is None:
                return ["/bin/sh", "-c", entry.rest], "entrypoint-shell"
        cmd_argv = None
        if stage.cmd is not None:
            cmd_argv = exec_form(stage.cmd.rest)
            if cmd_argv is None:
                return (entry_argv or []) + ["/bin/sh", "-c"] + [stage.cmd.rest], "cmd-shell"
        return (entry_argv or []) + (cmd_argv or []), "exec"

    def healthcheck_argv(self, stage):
        """(argv of the HEALTHCHECK's command, exec form?) or (None, None) for none / NONE."""
        ins = stage.healthcheck
        if ins is None:
            return None, None
        _, text = split_flags(ins.rest)
        keyword, _, command = text.partition(" ")
        if keyword.upper() != "CMD":
            return None, None
        argv = exec_form(command.strip())
        if argv is not None:
            return argv, True
        return ["/bin/sh", "-c", command.strip()], False


INIT_WRAPPERS = {"tini", "tini-static", "dumb-init"}


def strip_init(argv):
    """Drops an init wrapper in front of the command (`tini --`, `dumb-init --rewrite 15:2 --`)."""
    if argv and posixpath.basename(argv[0]) in INIT_WRAPPERS:
        rest = argv[1:]
        if "--" in rest:
            return argv[0], rest[rest.index("--") + 1:]
        while rest and rest[0].startswith("-"):
            option = rest.pop(0)
            if option in ("-s", "-p", "-e", "-r", "--rewrite") and rest:
                rest.pop(0)
        return argv[0], rest
    return None, argv


def programs_in(argv):
    """Programs an argv runs: itself, and for `sh -c SCRIPT` every command of the script."""
    if not argv:
        return []
    head = posixpath.basename(argv[0])
    if head in ("sh", "bash", "dash") and "-c" in argv[1:-1]:
        script = argv[argv.index("-c") + 1]
        return [argv[0]] + [c.argv[0] for c in simple_commands(script) if c.argv]
    return [argv[0]]


# Gunicorn command-line options that do NOT take a value; every other option does.
GUNICORN_FLAGS = frozenset("""
--reload --spew --check-config --print-config --preload --no-sendfile --reuse-port -D --daemon --initgroups
--capture-output --log-syslog --enable-stdio-inheritance --proxy-protocol --do-handshake-on-connect
--strip-header-spaces --disable-redirect-access-to-syslog --suppress-ragged-eofs --permit-obsolete-folding
-v --version -h --help -R
""".split())
SHORT_WITH_VALUE = frozenset("bwkctmeunpgr")


def gunicorn_options(argv):
    """(options, positional args) of a gunicorn argv after the program: --bind -> [values], ...

    Options are normalised to their long name for the few the verifier reads (-b, -k, -w, -c, --chdir)."""
    aliases = {"-b": "--bind", "-k": "--worker-class", "-w": "--workers", "-c": "--config",
               "-e": "--env", "-n": "--name", "-t": "--timeout"}
    options, positional, i = {}, [], 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if word == "--":
            positional.extend(argv[i:])
            break
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            if not eq and name not in GUNICORN_FLAGS:
                value = argv[i] if i < len(argv) else ""
                i += 1
            options.setdefault(name, []).append(value if (eq or name not in GUNICORN_FLAGS) else True)
        elif word.startswith("-") and len(word) > 1:
            name = word[:2]
            if name in GUNICORN_FLAGS:
                options.setdefault(name, []).append(True)
                continue
            value = word[2:]
            if not value and word[1] in SHORT_WITH_VALUE:
                value = argv[i] if i < len(argv) else ""
                i += 1
            options.setdefault(aliases.get(name, name), []).append(value)
        else:
            positional.append(word)
    return options, positional


def gunicorn_argv(argv):
    """The arguments gunicorn receives from a command (after `gunicorn` or `python -m gunicorn`), else None."""
    _, argv = strip_init(list(argv))
    if len(argv) >= 3 and posixpath.basename(argv[0]) in ("sh", "bash", "dash") and argv[1] == "-c":
        argv = shell_argv(argv[2])
    if not argv:
        return None
    head = posixpath.basename(argv[0])
    if head == "gunicorn":
        return argv[1:]
    if re.fullmatch(r"python(3(\.\d+)?)?", head) and argv[1:3] == ["-m", "gunicorn"]:
        return argv[3:]
    return None
