"""gen's commands of what Azure will run: build (the real compiler) and plan.

Each registers itself on the `main` group of generator/cli.py; the shared helpers live there."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import (main, EXIT_FINDINGS, EXIT_OK, InputError, finish, _analyse, _is_dir, _report)

@main.command(short_help="Compile rendered Bicep with the real compiler.")
@click.argument("directories", metavar="DIR...", nargs=-1, required=True, type=click.Path())
def build(directories: tuple[str, ...]) -> None:
    """Compile the rendered Bicep in each DIR with the real Bicep compiler.

    Uses the `bicep` binary (PATH, next to gen, then ~/.azure/bin), else `az bicep build`.
    Checks main.bicep and its modules with the linter of DIR/bicepconfig.json,
    main.bicepparam (unset secret variables get a placeholder), and that
    `bicep format` would change nothing. Several directories go through one compiler
    process. Exit 1 on any error or warning, 2 when there is no compiler or a DIR
    holds no rendered output.

    \b
    Examples:
      gen build out/b2b-azfw
      gen build out/*                          # every hub of a repository, one compiler start
    """
    from .. import compiler
    from ..plan import hubs as hubs_plan

    paths = [Path(d) for d in directories]
    for path in paths:
        if not str(path).strip():
            raise InputError("an empty directory name; give the directory `gen render` wrote")
        try:
            if path.is_file():
                raise InputError(f"{path}: is a file; gen build takes the directory `gen render` wrote (e.g. {path.parent or '.'})")
            if not path.exists():
                raise InputError(f"{path}: no such directory; render a spec into it first: gen render SPEC -o {path}")
            if not (path / "main.bicep").is_file() and not hubs_plan.is_several(path):
                raise InputError(f"{path}: no main.bicep here; run `gen render SPEC -o {path}` first")
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    # A folder of several hubs: each hub's deployment and the peerings'.
    paths = [p for path in paths for p in ([d for stage in hubs_plan.deployments(path) for d in stage]
                                            if hubs_plan.is_several(path) else [path])]
    try:
        results = compiler.build_all(paths)
    except (compiler.CompilerNotFound, compiler.CompilerFailed) as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"cannot compile ({exc.strerror or exc}{': ' + exc.filename if exc.filename else ''})") from None
    for path, result in zip(paths, results):
        for diagnostic in result.diagnostics:
            click.echo(str(diagnostic))
        errors = sum(d.level == "Error" for d in result.diagnostics)
        warnings = sum(d.level == "Warning" for d in result.diagnostics)
        click.echo(f"{result.compiler}: {errors} error(s), {warnings} warning(s) in {path}/")
    finish(EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS)


@main.command(short_help="The deployment as Azure will run it: waves, critical path, conflicts.")
@click.argument("target", metavar="SPEC|DIR", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for terminals, markdown for a pull-request comment, json for scripts.")
def plan(target: str, fmt: str) -> None:
    """Show how Azure Resource Manager will run the deployment of SPEC (rendered in memory)
    or of a rendered DIR, read from the template the real Bicep compiler produces.

    Prints the waves (operations that run at the same time), each Azure operation with its
    type, name and typical duration (documented figures, or ~estimates), the critical path
    and its total against a fully serial order, and the conflicts: two operations that may
    run at once and write the same VNet or gateway (PLAN001), which Azure refuses with
    AnotherOperationInProgress after the first has run for up to an hour.

    Exit 0 without conflicts, 1 with conflicts (or a spec with errors), 2 when the input
    cannot be read or compiled, or there is no Bicep compiler.

    \b
    Examples:
      gen plan spec.json
      gen plan out/b2b-azfw --format markdown
    """
    import tempfile

    from .. import compiler, output, pipeline
    from .. import plan as planner
    from ..plan.text import FORMATS as PLAN_FORMATS

    from ..plan import hubs as hubs_plan

    path = Path(target)
    try:
        if _is_dir(path) and hubs_plan.is_several(path):
            _plan_hubs(hubs_plan.of_directory_of_hubs(path), fmt)
        if _is_dir(path):
            if not (path / "main.bicep").is_file():
                raise InputError(f"{path}: no main.bicep here; give a spec, or a directory `gen render` wrote")
            result = planner.of_directory(path)
        else:
            analysis = _analyse(target)
            if analysis.failed():
                _report(analysis, "text")
                click.echo(f"gen: {target}: nothing to plan: fix the errors above first", err=True)
                finish(EXIT_FINDINGS)
            with tempfile.TemporaryDirectory(prefix="gen-plan-") as temporary:
                directory = Path(temporary) / analysis.fleet.name
                output.write(pipeline.render_files(analysis, directory), directory)
                if analysis.several:
                    _plan_hubs(hubs_plan.of_directory_of_hubs(directory, source=target), fmt)
                result = planner.of_directory(directory, source=target)
    except (compiler.CompilerNotFound, compiler.CompilerFailed, planner.PlanInputError, output.OutputConflict) as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{target}: cannot be read or compiled ({exc.strerror or exc})") from None
    click.echo(PLAN_FORMATS[fmt](result), nl=False)
    finish(EXIT_FINDINGS if result.conflicts else EXIT_OK)


def _plan_hubs(result, fmt: str) -> None:
    from ..plan import hubs as hubs_plan

    click.echo(hubs_plan.FORMATS[fmt](result), nl=False)
    finish(EXIT_FINDINGS if result.conflicts else EXIT_OK)
