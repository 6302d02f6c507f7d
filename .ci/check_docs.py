#!/usr/bin/env python
"""Process every notebook for the docs as `nbdev_proc_nbs` does (no Quarto needed), then check the API pages.

Fails when a notebook errors while processing, or when a processed page lacks the `show_doc` of a function or
class in its module's `__all__`, or shows a parameter without its docment (nbdev renders each parameter's
inline comment beside it in the signature). Usage, from anywhere in the repository:

    python .ci/check_docs.py [nbs/NN_name.ipynb ...]     # default: every notebook; pages go to _proc/
"""
import importlib, inspect, os, re, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import is_dataclass
from pathlib import Path

from execnb.nbio import read_nb
from fastcore.docments import docments
from nbdev.config import get_config
from nbdev.doclinks import nbglob

# One notebook per interpreter, through nbdev's own processing driver (what `proc_nbs` runs in its workers).
# `nbdev_proc_nbs` itself is not called: without Quarto it would try to install Quarto with sudo.
PROCESS = ('import sys; from pathlib import Path; from nbdev.serve_drv import main; '
           'from nbdev.processors import FilterDefaults; main((Path(sys.argv[1]), Path(sys.argv[2]), FilterDefaults))')

def process(src: Path, dst: Path) -> str | None:
    "Process notebook `src` into `dst`; the error's last lines, or None."
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.unlink(missing_ok=True)
    r = subprocess.run([sys.executable, '-c', PROCESS, src, dst], capture_output=True, text=True)
    if r.returncode: return f'{src.name}: processing failed:\n    ' + '\n    '.join(r.stderr.strip().splitlines()[-12:])

def exported_module(nb) -> str | None:
    "The module a notebook exports (its `default_exp`)."
    for c in nb.cells:
        if c.cell_type == 'code' and (m := re.search(r'^#\|\s*default_exp\s+(\S+)', c.source, re.M)): return m[1]

def show_docs(nb) -> dict[str, str]:
    "{name: markdown} of every `show_doc` output in a processed notebook."
    docs = {}
    for c in nb.cells:
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown', '')
            md = ''.join(md) if isinstance(md, list) else md
            if m := re.search(r'^#+ (\S+)\n', md, re.M): docs[m[1]] = md
    return docs

def documented_params(obj) -> list[str]:
    "The parameters `show_doc(obj)` lists: all but `self` and `*args` / `**kwargs`."
    try: ps = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError): return []
    return [p.name for p in ps if p.name != 'self' and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

def page_problems(src: Path, dst: Path, lib: str) -> list[str]:
    "What the processed page `dst` of notebook `src` lacks: a public name's `show_doc`, or a parameter's docment."
    if (mod := exported_module(read_nb(src))) is None: return []
    module, docs = importlib.import_module(f'{lib}.{mod}'), show_docs(read_nb(dst))
    problems = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)): continue
        if name not in docs: problems.append(f'{src.name}: no show_doc of {name}'); continue
        if is_dataclass(obj):   # show_doc runs in the notebook's __main__, where fastcore cannot read a dataclass's source
            undocumented = [p for p, d in docments(obj).items() if p != 'return' and not d]
        else: undocumented = [p for p in documented_params(obj)
                              if not re.search(rf'^\s+{p}\b[^\n]*, # \S', docs[name], re.M)]
        if undocumented: problems.append(f'{src.name}: {name}: no docment for {", ".join(undocumented)}')
    return problems

def main(paths) -> int:
    cfg = get_config()
    os.chdir(cfg.config_path)
    nbs, cache = cfg.nbs_path, cfg.config_path / '_proc'
    srcs = [Path(p).resolve() for p in paths] or nbglob(nbs, func=Path, file_glob='*.ipynb', skip_folder_re=r'^[_.]')
    start = time.time()
    with ThreadPoolExecutor(2) as ex:
        errors = dict(zip(srcs, ex.map(lambda s: process(s, cache / s.relative_to(nbs)), srcs)))
    problems = [p for s, e in errors.items() if not e for p in page_problems(s, cache / s.relative_to(nbs), cfg.lib_name)]
    failed = [e for e in errors.values() if e]
    for p in failed + problems: print(p)
    print(f'check_docs: {len(srcs)} notebooks processed in {time.time() - start:.0f} s: '
          f'{len(failed)} failed, {len(problems)} API page problems')
    return 1 if failed or problems else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
