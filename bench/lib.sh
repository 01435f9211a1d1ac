# Shared by the bench scripts (sourced, not run): Debian installs, the
# release build, a scratch directory, and servers started in the
# background whose addresses are read from their first stdout line.
# Expects CARGO_TARGET_DIR to be set; sets $bin and $work.

install() { # package... (Debian)
  echo "installing $* (Debian packages)…" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq "$@" >/dev/null; else sudo apt-get install -y -qq "$@" >/dev/null; fi
}
need() { # command package
  command -v "$1" >/dev/null || install "$2"
}
cargo build --release --locked -q -p palisade-cli -p palisade-mock-upstream
bin="$CARGO_TARGET_DIR/release"
work="$(mktemp -d)"
# Servers are started inside $(…) subshells, so their pids go to a file
# (a shell array would not survive the subshell).
cleanup() {
  while read -r p; do kill "$p" 2>/dev/null || true; done < "$work/pids" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start() { # name cmd... → prints the address from the first stdout line
  local name="$1"; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  echo "$!" >> "$work/pids"
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$work/$name.out" 2>/dev/null; then
      sed -n 's/^listening on //p' "$work/$name.out" | head -1; return
    fi
    sleep 0.1
  done
  echo "$name did not start: $(cat "$work/$name.err")" >&2; exit 1
}
