#!/usr/bin/env bash
# The worker's GPU paths on a GPU machine, one line each (passed / failed with the reason /
# skipped with why, and seconds): hf on cuda, accelerate launch and model parallel with 2+
# GPUs, vLLM, 8bit and 4bit, and the Ray executor with a real num_gpus=1. No network: a tiny
# model is built on the spot. Whatever the machine lacks of lm-eval's packages travels as
# wheels in .whl/ (benchmarks/gpu_wheels.sh fetches them where pip reaches PyPI); vLLM,
# bitsandbytes and Ray are too large to travel, and their paths are skipped where absent.
#
#   bash benchmarks/gpu_check.sh [--only TEXT] [--timeout SECONDS]
set -u
cd "$(dirname "$0")/.."
if ! python3 -c "import lm_eval" 2>/dev/null; then
  if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/gpu-check-site .whl/*.whl || exit 1
    export PYTHONPATH="/tmp/gpu-check-site${PYTHONPATH:+:$PYTHONPATH}"
  else
    echo "gpu_check: lm-eval is not installed here and .whl/ holds no wheels (benchmarks/gpu_wheels.sh)"
    exit 1
  fi
fi
export PYTHONPATH="$PWD/src:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
timeout 570 python3 benchmarks/gpu_check.py "$@"
