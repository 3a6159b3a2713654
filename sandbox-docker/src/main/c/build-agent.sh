#!/bin/sh
# Builds the command channel's agent (devs-channel.c) as a static linux-amd64 program into $2.
# Without a C compiler, or on another machine type, it says so and builds nothing: the driver then runs every
# command through the engine's exec, and says why on each sandbox (attribute exec.path.reason).
src="$1"
out="$2"
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) echo "[WARNING] devs-channel: not building the command channel's agent on $(uname -s)/$(uname -m) (linux-amd64 only); commands will use the engine's exec"; exit 0 ;;
esac
for cc in musl-gcc gcc cc; do
  if command -v "$cc" >/dev/null 2>&1; then
    mkdir -p "$(dirname "$out")"
    if "$cc" -static -Os -s -o "$out.tmp" "$src" && "$out.tmp" --probe </dev/null >/dev/null 2>&1; then
      mv "$out.tmp" "$out"
      echo "[INFO] devs-channel: built $out with $cc"
      exit 0
    fi
    rm -f "$out.tmp"
    echo "[WARNING] devs-channel: $cc could not build a static agent; trying the next compiler"
  fi
done
echo "[WARNING] devs-channel: no C compiler built the command channel's agent; commands will use the engine's exec"
exit 0
