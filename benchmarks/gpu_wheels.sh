#!/usr/bin/env bash
# The wheels benchmarks/gpu_check.sh needs on a GPU machine that has PyTorch, transformers
# and accelerate but no network (Python 3.12, x86_64): lm-eval and what it imports there,
# and the two small packages the worker imports (orjson; filelock is there). Run here, where
# pip reaches PyPI; they land in .whl/ (ignored by git), under 64 MiB in all. Ray (79 MB),
# vLLM and bitsandbytes are too large to travel: gpu_check.sh skips their paths where the
# machine lacks them.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl
grep -qxF '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  platforms+=(--platform "$p")
done
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  "${platforms[@]}" -d .whl \
  lm-eval==0.4.13 datasets==5.2.0 evaluate==0.4.6 dill==0.4.1 multiprocess==0.70.19 \
  more-itertools==11.2.1 pytablewriter==1.2.1 DataProperty==1.1.1 mbstrdecoder==1.1.5 \
  pathvalidate==3.3.1 tabledata==1.3.5 tcolorpy==0.1.7 typepy==1.3.5 chardet==6.0.0.post1 \
  nltk==3.10.4 orjson==3.13.0
# Published as source only; pure Python, so a wheel built here runs there.
python3 -m pip wheel -q --no-deps -w .whl rouge-score==0.1.2 sqlitedict==2.1.0 word2number==1.1
du -sh .whl
