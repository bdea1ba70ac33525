#!/usr/bin/env bash
# The device check of issues #16 and #21, as one prepared script for a lent GPU machine
# (never CI). Run from the repository root there, e.g. through the session's `run` tool:
#
#   here, once:  echo /.gl/ >>.git/info/exclude; mkdir -p .gl /tmp/amd64/partial
#                o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
#                apt-get $o update; (cd .gl && apt-get $o download libvulkan1)
#                and a Node.js 20 for x86-64 as .gl/node.tar.xz when the machine has none
#   there:       bash scripts/gpu-check.sh      (carry: .gl and node_modules)
#
# It prints, and writes to $OUT (when set): trm doctor (which backend, which adapter), the
# PyTorch engine's TRM-MLP 9×9 and tiny-GPT training throughput on CUDA against tfjs native on
# the CPU (bench/pytorch-engine.ts), the tfjs WebGPU backend through Dawn against native
# (bench/run.ts --train-only), and the GPU's peak memory while they ran (nvidia-smi).
set -u
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
log() { echo "== $*" | tee -a "$out/summary.txt"; }

# The Vulkan loader Dawn dlopens, unpacked from Debian's package when the machine lacks it.
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$nv" ] && export VK_DRIVER_FILES=$nv
if ! command -v node >/dev/null && [ -f .gl/node.tar.xz ]; then
  mkdir -p /tmp/node && tar -xJf .gl/node.tar.xz -C /tmp/node --strip-components 1
  export PATH=/tmp/node/bin:$PATH
fi
command -v node >/dev/null || { log "no Node.js here: carry one as .gl/node.tar.xz"; exit 2; }
# The machine's own python3 holds a CUDA PyTorch.
export TRM_PYTHON=${TRM_PYTHON:-$(command -v python3)}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$out/summary.txt"
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 250 >"$out/gpu-memory.csv" &
smi=$!

log "trm doctor"
node bin/trm.js doctor 2>&1 | tee "$out/doctor.txt"

log "PyTorch engine (CUDA) vs tfjs native: TRM-MLP 9×9, tiny GPT"
timeout 420 node --import tsx bench/pytorch-engine.ts --quick --sudoku9 2>&1 | tee "$out/pytorch-engine.txt"

log "tfjs: webgpu (Dawn) vs native"
timeout 300 node --import tsx bench/run.ts --quick --train-only --backends=webgpu,native 2>&1 |
  tee "$out/tfjs-backends.txt"

kill "$smi" 2>/dev/null
peak=$(sort -n "$out/gpu-memory.csv" | tail -1)
log "peak GPU memory while benchmarking: ${peak:-?} MiB"
