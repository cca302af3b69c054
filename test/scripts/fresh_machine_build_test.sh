#!/usr/bin/env bash
# The first `make` on a fresh machine must compile with the flags of packages that
# scripts/deps.sh only installs during that same run (LuaJIT's include directory): no package
# flag may be computed before the dependency step ran.
#
# Simulated in a scratch copy of the Makefile with a tiny source tree: no deps stamp, a fake
# deps script (DEPS_SCRIPT=) that "installs" by creating a marker file, and a fake pkg-config
# first on PATH that fails until that marker exists. `make -n` must then print the compile
# command of core/main.cpp with the fake LuaJIT cflags and the link command with its libs;
# a second run, with everything in place, must not run the deps script again.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Not the outer make's jobserver or flags.
unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES

fail() {
    echo "FAIL: $*"
    [[ -f "$work/out" ]] && sed 's/^/  | /' "$work/out"
    exit 1
}

tree=$work/tree
mkdir -p "$tree/core" "$tree/mem" "$tree/modules" "$tree/scripts" "$work/bin"
cp "$src/Makefile" "$tree/"
echo 'int main() { return 0; }' >"$tree/core/main.cpp"
echo 'void f() {}' >"$tree/mem/m.cpp"

cat >"$work/fake-deps.sh" <<EOF
#!/usr/bin/env bash
echo "fake deps ran" >>"$work/deps.log"
touch "$work/installed"
EOF
cat >"$work/bin/pkg-config" <<EOF
#!/usr/bin/env bash
[[ -e "$work/installed" ]] || { echo "Package luajit was not found" >&2; exit 1; }
case "\$1" in
    --cflags) echo "-I/fake/include/luajit-2.1" ;;
    --libs) echo "-lfakeluajit" ;;
esac
EOF
chmod +x "$work/fake-deps.sh" "$work/bin/pkg-config"

run_make() {
    PATH="$work/bin:$PATH" make -n -C "$tree" DEPS_SCRIPT="$work/fake-deps.sh" CXX=g++ \
        osprey >"$work/raw" 2>&1 || { mv "$work/raw" "$work/out"; fail "make -n osprey failed"; }
    # One line per command (recipes continue lines with a backslash).
    sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$work/raw" >"$work/out"
}

run_make
[[ -e "$work/installed" ]] || fail "the deps script did not run on a fresh tree"
compile=$(grep -E 'g\+\+ .* -c core/main\.cpp' "$work/out" || true)
[[ -n "$compile" ]] || fail "no compile command for core/main.cpp"
[[ "$compile" == *"-I/fake/include/luajit-2.1"* ]] ||
    fail "core/main.cpp compiled without the LuaJIT cflags: $compile"
link=$(grep -E 'g\+\+ .*-rdynamic' "$work/out" || true)
[[ "$link" == *"-lfakeluajit"* ]] || fail "osprey linked without the LuaJIT libs: $link"

run_make
[[ $(wc -l <"$work/deps.log") -eq 1 ]] || fail "the deps script ran again with its stamp present"
grep -q -- '-I/fake/include/luajit-2.1' "$work/out" || fail "second run lost the cflags"
echo "ok: the first make compiles with the flags of the packages it installs"
