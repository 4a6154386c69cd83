# The slowing toward p* of every pair of GeoMNIST's ten shapes (K = 2),
# against the distance between the pair's mean images: all.py's all45.dat.
# Usage (here): gnuplot all45.gp  ->  all45.png
set terminal pngcairo size 800,520 enhanced font 'Sans,11' linewidth 1.2
set output 'all45.png'
set title "every pair of the ten shapes, K = 2, 64 seeds: slowing toward p* at rho 0.8"
set xlabel "distance between the pair's mean images"
set ylabel "plateau end at rho 0.8 x |1 - rho| / clean (median)"
set key top right
set xrange [0:12.5]
set yrange [0.9:2.7]
set grid
plot 'all45.dat' using 1:2:3:4 with yerrorbars pt 7 ps 0.7 lc rgb '#1f77b4' title 'pair (95% interval over seeds)', \
     1 with lines dt 2 lc rgb 'black' title 'the law t(0)/|1 - rho|'
