#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 1200) with the corpus files as
# seeds and the format dictionary, then prints libFuzzer's final stats.
# Usage: fuzz/run-campaign.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-1200}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(find differential)
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    # Seed with every committed corpus file (real linker outputs).
    find ../corpus -type f ! -name '*.json' ! -name '*.md' ! -name '*.py' -exec cp -n {} "corpus/$target/" \;
    echo "== $target for ${seconds}s"
    cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
        -dict=pkgimg.dict -max_total_time="$seconds" -max_len=262144 -print_final_stats=1 \
        2>&1 | tee "campaign-$target.log" | grep -E '^(#[0-9]+ +DONE|stat::|==|INFO: Seed)|ERROR|panicked' || true
done
