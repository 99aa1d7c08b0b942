# shellcheck shell=bash
# scripts/bench-lib.sh — what scripts/bench and scripts/bench-linux share (sourced, not run):
# reading the console output of user/bench/bench.c, the side-by-side table, and the plot of
# fork latency against process size (gnuplot).

# bench_values FILE: one line "mode name value unit min max rounds" per `bench NAME VALUE UNIT`
# line of FILE, mode (from the "# mode" line before it) = share (cow_fork=1
# share_page_tables=1) | cow (cow_fork=1 share_page_tables=0, or a kernel without the switch) |
# eager (cow_fork=0) | linux (Linux as shipped) | linux4k (Linux, MADV_NOHUGEPAGE); min, max
# and rounds from the "# NAME min MIN max MAX rounds N" comment after it ("-" when there is
# none).
bench_values() {
    tr -d '\r' <"$1" | awk '
        /^# mode cow_fork=1 share_page_tables=1/ { mode = "share"; next }
        /^# mode cow_fork=1/ { mode = "cow"; next }
        /^# mode cow_fork=0/ { mode = "eager"; next }
        /^# mode linux nohugepage/ { mode = "linux4k"; next }
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

# bench_table "HEAD|SHORT"...: reads lines "K name value unit min max rounds" (K: 1 for the
# first column, 2 for the second, ...) and prints metric | each column's value | each column's
# value divided by the first's (headed SHORT/SHORT1) | each column's spread (the range of its
# rounds as percents of the median, "-3..+8%") | unit, one row per metric in the order they
# come; "-" stands for what was not measured.
bench_table() {
    local heads=() shorts=() col
    for col in "$@"; do
        heads+=("${col%%|*}")
        shorts+=("${col#*|}")
    done
    awk -v heads="$(printf '%s|' "${heads[@]}")" -v shorts="$(printf '%s|' "${shorts[@]}")" '
        function pct(x, m) { x = 100 * (x - m) / m; return sprintf("%+d", x < 0 ? x - 0.5 : x + 0.5) }
        function spread(c, k) {
            if (!((c, k) in val) || lo[c, k] == "-" || val[c, k] <= 0) return "-"
            return pct(lo[c, k], val[c, k]) ".." pct(hi[c, k], val[c, k]) "%"
        }
        function show(c, k) { return ((c, k) in val) ? val[c, k] : "-" }
        function ratio(c, k) {
            a = show(1, k); b = show(c, k)
            return (a != "-" && b != "-" && a + 0 > 0) ? sprintf("%.2f", b / a) : "-"
        }
        {
            k = $2
            if (!(k in unit)) { order[n++] = k; unit[k] = $4 }
            val[$1, k] = $3; lo[$1, k] = $5; hi[$1, k] = $6
        }
        END {
            nc = split(heads, head, "|") - 1; split(shorts, short, "|")
            line = sprintf("%-34s", "metric")
            for (c = 1; c <= nc; c++) line = line sprintf(" %15s", head[c])
            for (c = 2; c <= nc; c++) line = line sprintf(" %13s", short[c] "/" short[1])
            for (c = 1; c <= nc; c++) line = line sprintf(" %14s", "spread " short[c])
            print line "  unit"
            for (i = 0; i < n; i++) {
                k = order[i]; line = sprintf("%-34s", k)
                for (c = 1; c <= nc; c++) line = line sprintf(" %15s", show(c, k))
                for (c = 2; c <= nc; c++) line = line sprintf(" %13s", ratio(c, k))
                for (c = 1; c <= nc; c++) line = line sprintf(" %14s", spread(c, k))
                print line "  " unit[k]
            }
        }'
}

# columns "MODE=K"... : reads bench_values lines and keeps those of the named modes, their
# mode replaced by the column number K, for bench_table.
columns() {
    awk -v map="$*" 'BEGIN { n = split(map, m, " "); for (i = 1; i <= n; i++) { split(m[i], kv, "="); col[kv[1]] = kv[2] } }
        $1 in col { $1 = col[$1]; print }'
}

# issue15_aims VALUES: how the aims of issue 15 (shared page tables, the fault path) fare, from
# bench_values lines of this kernel and, when there are any, of Linux (modes linux, linux4k).
issue15_aims() {
    awk '{ val[$1, $2] = $3 }
        function has(m, k) { return (m, k) in val && val[m, k] > 0 }
        # aim(what, mode a, metric a, mode b, metric b, limit): a / b <= limit
        function aim(what, ma, ka, mb, kb, limit,    r) {
            if (!has(ma, ka) || !has(mb, kb)) {
                printf "aim: %s: not measured%s\n", what,
                    (mb ~ /^linux/ && !has(mb, kb)) ? " (Linux: make bench-linux)" : ""
                return
            }
            r = val[ma, ka] / val[mb, kb]
            printf "aim: %s: %.2f (%s)\n", what, r, (r <= limit) ? "met" : "NOT met"
        }
        # ratio(what, mode a, metric a, mode b, metric b): a / b, a note beside the aims
        function ratio(what, ma, ka, mb, kb) {
            if (has(ma, ka) && has(mb, kb))
                printf "note: %s: %.2f\n", what, val[ma, ka] / val[mb, kb]
        }
        END {
            aim("shared tables: fork of 256 MiB within 1.5x of an empty fork",
                "share", "fork_exit_wait_256MiB", "share", "fork_exit_wait_0MiB", 1.5)
            aim("shared tables: fork of 256 MiB <= 0.5 of Linux as shipped",
                "share", "fork_exit_wait_256MiB", "linux", "fork_exit_wait_256MiB", 0.5)
            aim("shared tables: fork_exec_wait <= 0.5 of Linux as shipped",
                "share", "fork_exec_wait", "linux", "fork_exec_wait", 0.5)
            aim("zero_read_fault_per_page <= Linux (4 KiB pages)",
                "share", "zero_read_fault_per_page", "linux4k", "zero_read_fault_per_page", 1)
            aim("first_write_fault_per_page <= Linux (4 KiB pages)",
                "share", "first_write_fault_per_page", "linux4k", "first_write_fault_per_page", 1)
            aim("first write under a shared table <= 2x cow_fault_per_page (copy-on-write)",
                "share", "cow_fault_shared_table_per_table", "cow", "cow_fault_per_page", 2)
            # the same writes, one per 2 MiB, in the other modes: what the stride costs
            # without a table copy (with the eager copy they do not even fault)
            ratio("first write under a shared table against the same writes with copy-on-write",
                  "share", "cow_fault_shared_table_per_table", "cow", "cow_fault_shared_table_per_table")
            ratio("... and with the eager copy",
                  "share", "cow_fault_shared_table_per_table", "eager", "cow_fault_shared_table_per_table")
        }' <<<"$1"
}

# bench_plot PNG "TITLE|MODE|FILE"...: draw fork_exit_wait_{0,1,16,64,256}MiB against the
# size, one curve per series (MODE's values in FILE, a bench console log), log-scale time.
# A series with no values (FILE missing: Linux before `make bench-linux`) is named in a note on
# the plot and on stderr, not left out silently. The data go to PNG with .dat for .png.
# Without gnuplot, says so and draws nothing.
bench_plot() {
    local png=$1 dat=${1%.png}.dat series title mode file values cells i c row missing=
    shift
    if ! command -v gnuplot >/dev/null 2>&1; then
        echo "bench: gnuplot is not installed, no plot (apt-get install gnuplot-nox; scripts/setup does)" >&2
        return 0
    fi
    local sizes=(0 1 16 64 256) titles=() columns=()
    for series in "$@"; do
        IFS='|' read -r title mode file <<<"$series"
        values=
        [ -r "$file" ] && values=$(bench_values "$file" | awk -v m="$mode" -v sizes="${sizes[*]}" '
            BEGIN { split(sizes, s, " ") }
            $1 == m { v[$2] = $3 }
            END { for (i = 1; i in s; i++) { k = "fork_exit_wait_" s[i] "MiB"
                                             printf "%s ", (k in v) ? v[k] : "-" } }')
        if ! [[ $values =~ [0-9] ]]; then
            missing+="${missing:+, }$title"
            continue
        fi
        titles+=("\"$title\"")
        columns+=("$values")
    done
    local note=
    if [ -n "$missing" ]; then
        note="not measured: $missing${BENCH_PLOT_HINT:+ ($BENCH_PLOT_HINT)}"
        echo "bench: $note; not in the plot" >&2
        note="set label 1 \"$note\" at graph 0.02, graph 0.04"
    fi
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
$note
plot for [i=2:$((${#columns[@]} + 1))] '$dat' using 0:i:xtic(1) with linespoints lw 2 pt 7 title columnheader(i)
EOF
    echo "# bench: plot in $png (data: $dat)" >&2
}
