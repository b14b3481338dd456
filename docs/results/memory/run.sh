#!/bin/bash
# run.sh EXAMPLE TAG [env...]: runs the prebuilt ${MEMDIR:-/tmp/mem}/bin/EXAMPLE-TAG
# with the documented flags under /usr/bin/time -v (measure.sh builds and calls it)
e=$1; tag=$2; shift 2
case $e in
  fashion) args="-epochs 1 -epochs20 1 -temps 100 -runs 10";;
  classrbm) args="-epochs 1 -temps 100 -sweeps 10";;
  dbm) args="-pretrain-epochs 1 -epochs 1 -temps 100 -runs 10 -reverse-runs 10 -burn 10 -curve-temps 100 -curve-runs 10 -sample-sweeps 10";;
  dbn) args="-epochs1 1 -epochs-top 1 -updown 1 -disc 1 -backprop 1 -logreg-epochs 1 -temps 100 -runs 10 -sweeps 10";;
esac
out=${MEMDIR:-/tmp/mem}/runs/$e-$tag
rm -rf $out; mkdir -p $out
echo "$e $args" > $out/cmd
env "$@" nice -n 10 /usr/bin/time -v ${MEMDIR:-/tmp/mem}/bin/$e-$tag $args -out $out/res > $out/stdout 2> $out/stderr
echo "$e-$tag rc=$? $(grep 'Maximum resident' $out/stderr) $(grep 'Elapsed' $out/stderr)"
