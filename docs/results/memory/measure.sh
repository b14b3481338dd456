#!/bin/bash
# Peak RSS of the examples on Fashion-MNIST, every stage at one epoch.
# usage: measure.sh TAG [EXAMPLE…]   builds ./examples/EXAMPLE into
# ${MEMDIR:-/tmp/mem}/bin/EXAMPLE-TAG and runs it under /usr/bin/time -v, one at a time.
tag=$1; shift
exs=${@:-fashion classrbm dbm dbn}
cd "$(git rev-parse --show-toplevel)"
mkdir -p ${MEMDIR:-/tmp/mem}/bin
for e in $exs; do
  case $e in
    fashion) args="-epochs 1 -epochs20 1 -temps 100 -runs 10";;
    classrbm) args="-epochs 1 -temps 100 -sweeps 10";;
    dbm) args="-pretrain-epochs 1 -epochs 1 -temps 100 -runs 10 -reverse-runs 10 -burn 10 -curve-temps 100 -curve-runs 10 -sample-sweeps 10";;
    dbn) args="-epochs1 1 -epochs-top 1 -updown 1 -disc 1 -backprop 1 -logreg-epochs 1 -temps 100 -runs 10 -sweeps 10";;
  esac
  go build -o ${MEMDIR:-/tmp/mem}/bin/$e-$tag ./examples/$e || exit 1
  out=${MEMDIR:-/tmp/mem}/runs/$e-$tag
  mkdir -p $out
  echo "$e $args" > $out/cmd
  nice -n 10 /usr/bin/time -v ${MEMDIR:-/tmp/mem}/bin/$e-$tag $args -out $out/res > $out/stdout 2> $out/stderr
  echo "$e-$tag rc=$? $(grep 'Maximum resident' $out/stderr) $(grep 'Elapsed' $out/stderr)"
done
