#!/bin/bash
# Peak RSS of the examples on Fashion-MNIST, every stage at one epoch.
# usage: measure.sh TAG [EXAMPLE…]   builds ./examples/EXAMPLE into
# ${MEMDIR:-/tmp/mem}/bin/EXAMPLE-TAG and runs it with run.sh (under
# /usr/bin/time -v), one at a time.
tag=$1; shift
exs=${@:-fashion classrbm dbm dbn}
here=$(dirname "$(readlink -f "$0")")
cd "$(git rev-parse --show-toplevel)"
mkdir -p ${MEMDIR:-/tmp/mem}/bin
for e in $exs; do
  go build -o ${MEMDIR:-/tmp/mem}/bin/$e-$tag ./examples/$e || exit 1
  bash "$here/run.sh" $e $tag
done
