"""Benchmark records: each script whose numbers the README quotes ends with `record`, which writes `bench/results/<name>.json`.

A record holds the command that ran (with the environment variables that change the result), the commit of the code
(`+dirty` when `vtonlib/` or `bench/` had uncommitted changes), the date, the machine, the result as the README
shows it (Markdown) and the raw numbers. `python bench/tables.py` renders the README's tables from the records.
"""
import datetime, json, os, resource, shlex, subprocess, sys
from pathlib import Path

import torch

from vtonlib.core import atomic_write

RESULTS = Path(__file__).parent / 'results'
REPO = Path(__file__).parent.parent


def command() -> str:
    "The command that ran this script: OMP_NUM_THREADS and VTON_SAMPLES when set, then `python bench/<script>.py <args>`."
    env = [f'OMP_NUM_THREADS={os.environ["OMP_NUM_THREADS"]}'] if 'OMP_NUM_THREADS' in os.environ else []
    if 'VTON_SAMPLES' in os.environ: env.append('VTON_SAMPLES=/path/to/samples/viton-hd')
    return ' '.join([*env, shlex.join(['python', f'bench/{Path(sys.argv[0]).name}', *sys.argv[1:]])])


def commit() -> str:
    "The short commit of the code, with `+dirty` when `vtonlib/` or `bench/` (its results apart) differ from it."
    git = lambda *a: subprocess.run(['git', *a], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    dirty = git('status', '--porcelain', '--', 'vtonlib', 'bench', ':!bench/results')
    return git('rev-parse', '--short', 'HEAD') + ('+dirty' if dirty else '')


def wall_seconds() -> float:
    "Seconds since this process started (Linux: from /proc)."
    started = int(Path('/proc/self/stat').read_text().rsplit(')', 1)[1].split()[19]) / os.sysconf('SC_CLK_TCK')
    return float(Path('/proc/uptime').read_text().split()[0]) - started


def threads() -> str:
    "torch's thread count in words: '1 thread', '2 threads'."
    n = torch.get_num_threads()
    return f'{n} thread' + 's' * (n > 1)


def machine() -> dict:
    "CPU count, torch version, the CUDA device's name (or 'CPU') and the load average at the end of the run."
    return dict(cpus=os.cpu_count(), torch=torch.__version__,
                device=torch.cuda.get_device_name() if torch.cuda.is_available() else 'CPU',
                load_average=[round(x, 2) for x in os.getloadavg()])


def record(
    name: str, # the record's name, usually the script's: `bench/results/<name>.json`
    summary: str, # the result as the README's table shows it (Markdown)
    **numbers, # the raw numbers behind `summary` (anything JSON can hold)
) -> Path:
    "Write the record of this run to `bench/results/<name>.json` atomically; return its path."
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    rec = dict(command=command(), commit=commit(), date=datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
               machine=machine(), wall_s=round(wall_seconds(), 1),
               cpu_s=round(sum(u.ru_utime + u.ru_stime for u in usage), 1), summary=summary, numbers=numbers)
    path = RESULTS / f'{name}.json'
    with atomic_write(path, 'w') as f: f.write(json.dumps(rec, indent=1, ensure_ascii=False) + '\n')
    print(f'recorded in {path.relative_to(REPO)}')
    return path
