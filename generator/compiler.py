"""Find and run the real Bicep compiler, and turn what it says into diagnostics.

The `bicep` binary is driven through `bicep jsonrpc --stdio`: one long-lived
process answers compile, compile-params and format requests, so checking a
directory costs one .NET start instead of one per file. Without a `bicep`
binary, `az bicep build` is the fallback (compile only).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDER_SECRET = "gen-build-placeholder"
# The Bicep release gen's tests compile with (tools/bicep/bicep.csproj pins it; a test keeps the two equal).
TESTED_BICEP = "0.49.2"
MIN_VERSION = "0.29"  # `bicep jsonrpc` is stable from here
_READ_ENV = re.compile(r"readEnvironmentVariable\('([A-Za-z0-9_]+)'")
_AZ_DIAGNOSTIC = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\) : (?P<level>Error|Warning|Info) (?P<code>[^:]+): (?P<message>.*)$")


class CompilerNotFound(Exception):
    """Neither a `bicep` binary nor the Azure CLI is available."""


class CompilerFailed(Exception):
    """The compiler could not run (too old, broken, or `az` could not get one); the message says why."""


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int
    column: int
    level: str  # Error, Warning, Info
    code: str
    message: str

    def __str__(self) -> str:
        return f"{_relative(self.file)}:{self.line}:{self.column}: {self.level} {self.code}: {self.message}"

    @property
    def counts(self) -> bool:
        """Errors and warnings fail a build; Info does not."""
        return self.level in ("Error", "Warning")


def _relative(file: str) -> str:
    """Paths under the working directory as the user typed them; others as they are."""
    try:
        return os.path.relpath(file) if Path(file).resolve().is_relative_to(Path.cwd()) else file
    except ValueError:
        return file


def find_bicep() -> str | None:
    """The `bicep` binary: on PATH, then next to gen's Python (make setup links it into .venv/bin),
    then where `az bicep install` puts it."""
    found = shutil.which("bicep")
    if found:
        return found
    for candidate in (Path(sys.executable).parent / "bicep", Path.home() / ".azure" / "bin" / "bicep"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def describe() -> str:
    """One line on which compiler `gen build` will use."""
    bicep = find_bicep()
    if bicep:
        return f"bicep binary {bicep}"
    if shutil.which("az"):
        return "az bicep build (no bicep binary found)"
    return "none"


class BicepJsonRpc:
    """A `bicep jsonrpc --stdio` process. Use as a context manager."""

    def __init__(self, bicep: str | None = None, env: dict | None = None):
        self.bicep = bicep or find_bicep()
        if not self.bicep:
            raise CompilerNotFound("no `bicep` binary on PATH or in ~/.azure/bin; run `make setup`")
        self._env = env
        self._process: subprocess.Popen | None = None
        self._next_id = 0

    @property
    def environment(self) -> dict:
        """The environment the compiler process reads (`readEnvironmentVariable` in .bicepparam files)."""
        return dict(self._env) if self._env is not None else dict(os.environ)

    def __enter__(self) -> "BicepJsonRpc":
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [self.bicep, "jsonrpc", "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=self._env,
        )
        return self

    def __exit__(self, *exc) -> None:
        if self._process:
            try:
                self._process.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._stderr.close()

    def _died(self) -> CompilerFailed:
        self._process.wait()
        self._stderr.seek(0)
        said = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        reason = said[-1] if said else f"exit code {self._process.returncode}"
        return CompilerFailed(f"{self.bicep} jsonrpc stopped ({reason}); gen needs Bicep {MIN_VERSION} or newer (`bicep --version`)")

    def _call(self, method: str, params: dict) -> dict:
        self._next_id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}).encode()
        try:
            self._process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self._process.stdin.flush()
        except BrokenPipeError:
            raise self._died() from None
        length = None
        while True:
            line = self._process.stdout.readline()
            if not line:
                raise self._died()
            line = line.strip()
            if not line:
                break
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length":
                length = int(value)
        reply = json.loads(self._process.stdout.read(length))
        if "error" in reply:
            raise CompilerFailed(f"bicep {method}: {reply['error'].get('message')}")
        return reply["result"]

    def version(self) -> str:
        return self._call("bicep/version", {})["version"]

    def compile(self, path: Path) -> tuple[list[Diagnostic], dict | None]:
        """Diagnostics (compiler and linter, every file of the compilation) and the ARM template."""
        result = self._call("bicep/compile", {"path": str(Path(path).resolve())})
        template = json.loads(result["contents"]) if result.get("contents") else None
        return _diagnostics(result["diagnostics"]), template

    def compile_params(self, path: Path) -> tuple[list[Diagnostic], dict | None]:
        """Diagnostics of a .bicepparam file and its parameter values."""
        result = self._call("bicep/compileParams", {"path": str(Path(path).resolve()), "parameterOverrides": {}})
        parameters = json.loads(result["parameters"]) if result.get("parameters") else None
        return _diagnostics(result["diagnostics"]), parameters

    def format(self, path: Path) -> str:
        """The text `bicep format` would write for the file."""
        return self._call("bicep/format", {"path": str(Path(path).resolve())})["contents"]


def _diagnostics(raw: list[dict]) -> list[Diagnostic]:
    return sorted(
        Diagnostic(d["source"], d["range"]["start"]["line"] + 1, d["range"]["start"]["char"] + 1, d["level"], d["code"], d["message"])
        for d in raw
    )


@dataclass
class BuildResult:
    directory: Path
    compiler: str
    diagnostics: list[Diagnostic]
    template: dict | None  # compiled main.bicep
    parameters: dict | None  # compiled main.bicepparam (secrets are placeholders)

    @property
    def ok(self) -> bool:
        return not any(d.counts for d in self.diagnostics)

    @property
    def parameter_values(self) -> dict:
        """Parameter name -> value, from the compiled main.bicepparam."""
        return {name: entry.get("value") for name, entry in (self.parameters or {}).get("parameters", {}).items()}


def secret_env_names(directory: Path) -> list[str]:
    """Environment variables main.bicepparam reads."""
    param_file = Path(directory) / "main.bicepparam"
    return sorted(set(_READ_ENV.findall(param_file.read_text("utf-8")))) if param_file.is_file() else []


def build(directory: Path) -> BuildResult:
    """Compile and check one rendered directory (see build_all)."""
    return build_all([directory])[0]


def compile_directory(directory: Path) -> BuildResult:
    """Compile main.bicep and main.bicepparam only (no format checks): what `gen plan` reads."""
    return build_all([directory], checks=False)[0]


MAX_COMPILERS = 4  # compiler processes at once, at most one per core
PARALLEL_FROM = 4  # hubs to compile before a second process pays for its start


def build_all(directories: list[Path], checks: bool = True) -> list[BuildResult]:
    """Compile and lint each main.bicep, compile main.bicepparam, and check every file is `bicep format`-stable.

    Every directory goes through one `bicep jsonrpc` process: one .NET start for a repository of hubs.
    A directory whose files the same compiler has seen before is not compiled again (the result is cached by
    content, without the values read from the environment). Secret environment variables that are not set get
    a placeholder so the parameter file compiles; the placeholder never leaves the compiler.
    """
    directories = [Path(d) for d in directories]
    for directory in directories:
        if not (directory / "main.bicep").is_file():
            raise FileNotFoundError(f"{directory / 'main.bicep'}: no such file; render a spec into {directory} first")
    bicep = find_bicep()
    if not bicep:
        if not checks:
            raise CompilerNotFound("gen plan needs the `bicep` binary (PATH, next to gen, or ~/.azure/bin): `make setup` "
                                   "installs it, `az bicep install` too")
        return [_build_with_az(directory) for directory in directories]
    keys = [_cache_key(bicep, directory, checks) for directory in directories]
    results: list[BuildResult | None] = [_cached(key, directory, bicep) for key, directory in zip(keys, directories)]
    if not checks:  # a full build of the same files answers a plain compile too
        results = [result or _cached(_cache_key(bicep, directory, True), directory, bicep)
                   for result, directory in zip(results, directories)]
    missing = [i for i, result in enumerate(results) if result is None]
    if missing:
        env = dict(os.environ)
        for i in missing:
            for name in secret_env_names(directories[i]):
                env.setdefault(name, PLACEHOLDER_SECRET)
        formatted: dict[tuple[str, str], str] = {}  # the hubs of a repository share their modules' text
        # A compiler process per core for a repository of hubs: the .NET start is paid once per process, the
        # compilations run side by side (a single process compiles one file at a time).
        workers = min(os.cpu_count() or 1, MAX_COMPILERS) if len(missing) >= PARALLEL_FROM else 1
        shares = [missing[w::workers] for w in range(workers)]

        def compile_share(share: list[int]) -> None:
            with BicepJsonRpc(bicep, env) as rpc:
                said = f"Bicep {rpc.version()} ({bicep})"
                for i in share:
                    results[i] = _build_one(rpc, said, directories[i], checks, formatted)
                    _remember(keys[i], results[i])

        if workers == 1:
            compile_share(missing)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                for done in [pool.submit(compile_share, share) for share in shares]:
                    done.result()  # a compiler that failed fails the build, as with one process
    return results


# --- the compiled templates, cached by content -------------------------------------------------------------

_ENV_PARAM = re.compile(r"^param\s+(\w+)\s*=(?:(?!^param\s).)*?readEnvironmentVariable", re.MULTILINE | re.DOTALL)


def _inputs(directory: Path) -> list[Path]:
    found = [*directory.glob("*.bicep"), *directory.glob("modules/*.bicep"), *directory.glob("*.bicepparam"),
             *directory.glob("bicepconfig.json")]
    return sorted(found)


def _cache_key(bicep: str, directory: Path, checks: bool) -> str | None:
    """Everything a compilation depends on but the environment: the compiler binary, every input file, the checks."""
    from . import cache

    try:
        binary = Path(bicep).resolve().stat()
        parts = [str(Path(bicep).resolve()), str(binary.st_size), str(binary.st_mtime_ns), str(checks)]
        for path in _inputs(directory):
            parts += [path.relative_to(directory).as_posix(), path.read_text("utf-8")]
    except (OSError, UnicodeDecodeError):
        return None
    return cache.key(*parts)


def _cached(key: str | None, directory: Path, bicep: str) -> BuildResult | None:
    from . import cache

    folder = cache.directory("compiled")
    if key is None or folder is None:
        return None
    try:
        stored = json.loads((folder / f"{key}.json").read_text("utf-8"))
        diagnostics = [Diagnostic(str(directory / d[0]) if not Path(d[0]).is_absolute() else d[0], *d[1:]) for d in stored["diagnostics"]]
        return BuildResult(directory, f"{stored['compiler']}, cached: the same files compiled before", diagnostics,
                           stored["template"], stored["parameters"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(key: str | None, result: BuildResult) -> None:
    """Store a compilation without what came from the environment (secrets, keys): those values are dropped."""
    from . import cache

    folder = cache.directory("compiled")
    if key is None or folder is None:
        return
    parameters = json.loads(json.dumps(result.parameters)) if result.parameters else None
    if parameters:
        param_file = result.directory / "main.bicepparam"
        from_env = set(_ENV_PARAM.findall(param_file.read_text("utf-8"))) if param_file.is_file() else set()
        for name in from_env:
            parameters.get("parameters", {}).pop(name, None)
    diagnostics = []
    for d in result.diagnostics:
        path = Path(d.file)
        relative = path.relative_to(result.directory.resolve()).as_posix() if path.is_relative_to(result.directory.resolve()) else d.file
        diagnostics.append([relative, d.line, d.column, d.level, d.code, d.message])
    document = {"diagnostics": diagnostics, "template": result.template, "parameters": parameters, "compiler": result.compiler}
    try:
        from .output import write_file

        write_file(folder / f"{key}.json", json.dumps(document))
    except OSError:
        pass  # a cache that cannot be written is only a slower run


def _build_one(rpc: "BicepJsonRpc", compiler: str, directory: Path, checks: bool,
               formatted: dict[tuple[str, str], str] | None = None) -> BuildResult:
    diagnostics, template = rpc.compile(directory / "main.bicep")
    parameters = None
    if (directory / "main.bicepparam").is_file():
        param_diagnostics, parameters = rpc.compile_params(directory / "main.bicepparam")
        diagnostics += param_diagnostics
    config = (directory / "bicepconfig.json").read_text("utf-8") if (directory / "bicepconfig.json").is_file() else ""
    formatted = {} if formatted is None else formatted
    for path in [] if not checks else sorted([*directory.glob("*.bicep"), *directory.glob("modules/*.bicep"), *directory.glob("*.bicepparam")]):
        text = path.read_text("utf-8")
        # `bicep format` reads the file and the formatting options of its bicepconfig.json: the same two, the same
        # answer (20 hubs share nine module files: formatted once, not twenty times)
        key = (text, config)
        if key not in formatted:
            formatted[key] = rpc.format(path)
        if formatted[key] != text:
            diagnostics.append(Diagnostic(str(path.resolve()), 1, 1, "Warning", "format", "`bicep format` would change this file"))
    return BuildResult(directory, compiler, sorted(set(diagnostics)), template, parameters)


def _build_with_az(directory: Path) -> BuildResult:
    az = shutil.which("az")
    if not az:
        raise CompilerNotFound("no Bicep compiler: neither a `bicep` binary (PATH, ~/.azure/bin) nor the Azure CLI (`az`) was found; run `make setup`")
    completed = subprocess.run(
        [az, "bicep", "build", "--file", str(directory / "main.bicep"), "--stdout"],
        capture_output=True, text=True, check=False,
    )
    diagnostics = []
    for line in completed.stderr.splitlines():
        match = _AZ_DIAGNOSTIC.match(line.strip())
        if match:
            diagnostics.append(Diagnostic(match["file"], int(match["line"]), int(match["col"]), match["level"], match["code"], match["message"]))
    if completed.returncode != 0 and not diagnostics:
        # No diagnostic means az could not compile at all (often: no network to download Bicep).
        said = completed.stderr.strip().splitlines()
        raise CompilerFailed(f"az bicep build could not run: {said[-1] if said else 'exit code ' + str(completed.returncode)}")
    template = json.loads(completed.stdout) if completed.returncode == 0 and completed.stdout.strip() else None
    # az checks main.bicep and its modules only; the parameter file and formatting need the bicep binary.
    return BuildResult(directory, "az bicep build (main.bicep only; no bicep binary for params and format checks)", sorted(diagnostics), template, None)
