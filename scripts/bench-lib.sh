# shellcheck shell=bash
# scripts/bench-lib.sh — what scripts/bench and scripts/bench-linux share (sourced, not run):
# reading the console output of user/bench/bench.c, the side-by-side table, and the plot of
# fork latency against process size (gnuplot).

# bench_values FILE: one line "mode name value unit min max rounds" per `bench NAME VALUE UNIT`
# line of FILE, mode = cow | eager | linux (from the "# mode" line before it), min, max and
# rounds from the "# NAME min MIN max MAX rounds N" comment after it ("-" when there is none).
bench_values() {
    tr -d '\r' <"$1" | awk '
        /^# mode cow_fork=1/ { mode = "cow"; next }
        /^# mode cow_fork=0/ { mode = "eager"; next }
        /^# mode linux/ { mode = "linux"; next }
        /^bench [A-Za-z0-9_]+ [-0-9.]+ [A-Za-z\/]+$/ && mode != "" {
            key = mode " " $2
            if (!(key in val)) order[n++] = key
            val[key] = $3 " " $4; spread[key] = "- - -"
        }
        /^# [A-Za-z0-9_]+ min [-0-9.]+ max [-0-9.]+ rounds [0-9]+$/ && (mode " " $2) in val {
            spread[mode " " $2] = $4 " " $6 " " $8
        }
        END { for (i = 0; i < n; i++) print order[i], val[order[i]], spread[order[i]] }'
}

# bench_table HEAD_A HEAD_B SHORT_A SHORT_B: reads lines "a|b name value unit min max rounds"
# and prints metric | A | B | B/A | spread of A | spread of B | unit (the last four headed with
# the short names), one row per metric in the order they come. A spread is the range of the rounds as percents of the median ("-3..+8%"); "-" stands
# for what was not measured.
bench_table() {
    awk -v ha="$1" -v hb="$2" -v sa="$3" -v sb="$4" '
        function pct(x, m) { x = 100 * (x - m) / m; return sprintf("%+d", x < 0 ? x - 0.5 : x + 0.5) }
        function spread(s, k) {
            if (!((s, k) in val) || lo[s, k] == "-" || val[s, k] <= 0) return "-"
            return pct(lo[s, k], val[s, k]) ".." pct(hi[s, k], val[s, k]) "%"
        }
        function show(s, k) { return ((s, k) in val) ? val[s, k] : "-" }
        {
            k = $2
            if (!(k in unit)) { order[n++] = k; unit[k] = $4 }
            val[$1, k] = $3; lo[$1, k] = $5; hi[$1, k] = $6
        }
        END {
            fmt = "%-32s %14s %14s %11s %14s %14s  %s\n"
            printf fmt, "metric", ha, hb, sb "/" sa, "spread " sa, "spread " sb, "unit"
            for (i = 0; i < n; i++) {
                k = order[i]; a = show("a", k); b = show("b", k)
                r = (a != "-" && b != "-" && a + 0 > 0) ? sprintf("%.2f", b / a) : "-"
                printf fmt, k, a, b, r, spread("a", k), spread("b", k), unit[k]
            }
        }'
}

# bench_plot PNG "TITLE|MODE|FILE"...: draw fork_exit_wait_{0,1,16,64,256}MiB against the
# size, one curve per series (MODE's values in FILE, a bench console log), log-scale time.
# The data go to PNG with .dat for .png. Without gnuplot, says so and draws nothing.
bench_plot() {
    local png=$1 dat=${1%.png}.dat series title mode file values cells i c row
    shift
    if ! command -v gnuplot >/dev/null 2>&1; then
        echo "bench: gnuplot is not installed, no plot (apt-get install gnuplot-nox; scripts/setup does)" >&2
        return 0
    fi
    local sizes=(0 1 16 64 256) titles=() columns=()
    for series in "$@"; do
        IFS='|' read -r title mode file <<<"$series"
        [ -r "$file" ] || continue
        values=$(bench_values "$file" | awk -v m="$mode" -v sizes="${sizes[*]}" '
            BEGIN { split(sizes, s, " ") }
            $1 == m { v[$2] = $3 }
            END { for (i = 1; i in s; i++) { k = "fork_exit_wait_" s[i] "MiB"
                                             printf "%s ", (k in v) ? v[k] : "-" } }')
        [[ $values =~ [0-9] ]] || continue
        titles+=("\"$title\"")
        columns+=("$values")
    done
    if [ ${#columns[@]} = 0 ]; then
        echo "bench: no fork_exit_wait values to plot" >&2
        return 0
    fi
    {
        echo "MiB ${titles[*]}"
        for i in "${!sizes[@]}"; do
            row=${sizes[$i]}
            for c in "${columns[@]}"; do
                read -ra cells <<<"$c"
                row+=" ${cells[$i]}"
            done
            echo "$row"
        done
    } >"$dat"
    gnuplot <<EOF
set terminal pngcairo size 900,560 font ",11" noenhanced
set output '$png'
set title "fork, _exit, wait: median time against the memory the parent wrote before"
set xlabel "memory written before the fork (MiB)"
set ylabel "microseconds (log scale)"
set logscale y
set grid
set key top left
set datafile missing '-'
plot for [i=2:$((${#columns[@]} + 1))] '$dat' using 0:i:xtic(1) with linespoints lw 2 pt 7 title columnheader(i)
EOF
    echo "# bench: plot in $png (data: $dat)" >&2
}
