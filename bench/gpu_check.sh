#!/usr/bin/env bash
# One prepared session on a GPU machine (see README, "GPU figures"): training
# throughput, a longer φ⁴ training run with `idf train`, and its evaluation,
# beside the shipped checkpoint's on the same device. Each part has its own
# time limit so a slow part cannot starve the rest. Writes to $OUT (default out/gpu).
set -u
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
if [ -d .whl ]; then  # packages the GPU image lacks, carried as wheels
  rm -rf /tmp/site; python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
LOG="$OUT/gpu_log.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$LOG"
python3 -c "import jax, flax, blackjax; print('jax', jax.__version__, 'flax', flax.__version__, jax.devices())" | tee -a "$LOG"
echo "== bench training" | tee -a "$LOG"
timeout 130 python3 bench/run.py --only training --out "$OUT/bench_training" 2>&1 | tee -a "$LOG"
echo "== phi4 training" | tee -a "$LOG"
start=$(date +%s)
timeout 150 python3 -m idf.cli train --data phi4 --size 8 --mass2 -4 --coupling 3 --num-samples 131072 \
  --hmc-chains 256 --hmc-burn-in 500 --hmc-thin 5 --steps 20000 --batch 256 --eval-every 10000 \
  --checkpoint-every 5000 --seed 0 --no-progress --out "$OUT/phi4_broken8_unet_long.npz" 2>&1 | tee -a "$LOG"
echo "train wall: $(( $(date +%s) - start )) s" | tee -a "$LOG"
for ckpt in "$OUT/phi4_broken8_unet_long.npz" assets/phi4_broken8_unet.npz; do
  for steps in 50 200; do
    echo "== evaluate $ckpt steps=$steps" | tee -a "$LOG"
    timeout 30 python3 -m idf.cli evaluate --checkpoint "$ckpt" --n 4096 --inference-steps $steps --seed 1 \
      --hmc-chains 256 2>&1 | tee -a "$LOG"
  done
done
