#!/bin/sh
# Installs the Debian packages powerprune needs to build, test and run its
# default flow. Does nothing for packages already present; needs root to install.
set -e
PKGS="build-essential cmake pkg-config libcmocka-dev libopenblas-dev zlib1g-dev \
      yosys iverilog opensta gnuplot-nox dataset-fashion-mnist qflow-tech-osu018 \
      cppcheck clang-tidy-14 clang-14 libclang-rt-14-dev \
      protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata python3-onnx python3-torch"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing Debian packages:$missing (run as root, or install them)" >&2
  exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
