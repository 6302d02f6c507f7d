#!/usr/bin/env python
"""The pictures the notebooks show: render them into the notebooks, or check that none outgrows its budget.

    python .ci/pictures.py render nbs/05a_pipeline.ipynb ...   # run the notebooks, keep only their image outputs
    python .ci/pictures.py check                                # CI: each notebook's outputs within OUTPUT_BUDGET

`render` runs every cell of a notebook (as `nbdev_test` does, flagged cells skipped), then keeps the outputs that
hold a picture (PNG or JPEG) and drops all others, so a stage's page shows what it makes without the noise of its
tests. Run it with the test environment set (VTON_SAMPLES, VTON_FIXTURES), then `nbdev_clean`, and commit.
"""
import json, os, sys, tempfile
from pathlib import Path

OUTPUT_BUDGET = 200_000                    # bytes of outputs a notebook may carry
PICTURES = ('image/png', 'image/jpeg')

def output_bytes(nb: dict) -> int:
    "Bytes of all outputs of a notebook, as stored."
    return sum(len(json.dumps(o)) for c in nb['cells'] for o in c.get('outputs', []))

def pictures_only(outputs: list) -> list:
    "The outputs that show a picture, each reduced to its smallest encoding (PNG or JPEG)."
    kept = []
    for o in outputs:
        found = {k: v for k, v in o.get('data', {}).items() if k in PICTURES}
        if o.get('output_type') in ('display_data', 'execute_result') and found:
            kind = min(found, key=lambda k: len(found[k]))
            kept.append({'output_type': 'display_data', 'metadata': {}, 'data': {kind: found[kind]}})
    return kept

def render(path: Path):
    "Run notebook `path` as `nbdev_test` does (flagged cells skipped) and store only its pictures as outputs."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    from nbdev.config import get_config
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor
    skip = set(get_config().tst_flags.split())
    def skipped(cell): return cell.cell_type != 'code' or bool(skip & (getattr(cell, 'directives_', {}) or {}).keys())
    ran = NBProcessor(path, procs=FrontmatterProc, process=True).nb
    os.environ.setdefault('VTON_HOME', tempfile.mkdtemp())
    cwd = os.getcwd(); os.chdir(path.parent)
    try: CaptureShell(path).run_all(ran, exc_stop=True, preproc=skipped)
    finally: os.chdir(cwd)
    outputs = {c.get('id'): pictures_only(c.get('outputs', [])) for c in ran.cells if c.cell_type == 'code'}
    nb = read_nb(path)
    for c in nb.cells:
        if c.cell_type == 'code': c['outputs'] = outputs.get(c.get('id'), [])
    write_nb(nb, path)
    print(f'{path.name}: {sum(map(len, outputs.values()))} pictures, {output_bytes(json.loads(path.read_text())):,} bytes of outputs')

def check(paths) -> int:
    "Print the notebooks whose outputs exceed `OUTPUT_BUDGET`; 1 if any does."
    over = [(p, n) for p in paths if (n := output_bytes(json.loads(p.read_text()))) > OUTPUT_BUDGET]
    for p, n in over: print(f'{p}: {n:,} bytes of outputs, over the {OUTPUT_BUDGET:,} allowed; make its pictures smaller')
    print(f'pictures: {len(paths)} notebooks checked, {len(over)} over budget')
    return 1 if over else 0

if __name__ == '__main__':
    cmd, *args = sys.argv[1:] or ['check']
    paths = [Path(a) for a in args] or sorted(Path(__file__).resolve().parents[1].joinpath('nbs').glob('*.ipynb'))
    if cmd == 'render':
        for p in paths: render(p)
    else: sys.exit(check(paths))
