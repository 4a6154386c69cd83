/* cli: the `lesde` command and its subcommands, one file each. */
#ifndef LESDE_CLI_CLI_H
#define LESDE_CLI_CLI_H

#include <stddef.h>

#include "core/err.h"

int cmd_train(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_summarize(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Prints "lesde: <msg>" and returns e->code. */
int cli_fail(const lesde_err *e);
/* Prints "lesde: <cmd>: <msg>" and the --help hint; returns LESDE_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* cli_usage for what getopt_long (optstring ":h...", opterr = 0) returned
 * on the option arg: ':' "arg needs a value", else "unknown option 'arg'". */
int cli_bad_option(const char *cmd, int ch, const char *arg);
/* cli_usage "OPT needs a file name" when a path option's value is empty
 * (--out ""), which would write a hidden ".tmp"; 0 otherwise. */
int cli_empty_name(const char *cmd, const char *opt, const char *value);
/* Writes text to stdout with every line longer than width broken at its
 * last blanks before the width (a word longer than that stays whole), the
 * continuations indented as the line they continue. */
void cli_put_wrapped(const char *text, int width);

/* The spec file lesde sweep SPEC means: SPEC itself when it is a path or
 * exists here, else SPEC or SPEC.ini in $LESDE_SPEC_PATH's directories,
 * then in the installed share/lesde/sweep beside the binary, then in the
 * checkout's sweep/ (a build folder inside it). buf holds a found path;
 * NULL (and e) when there is none. */
const char *cli_spec_find(const char *arg, char *buf, size_t n, lesde_err *e);

/* For the commands that run on one process: -1 when started as one, go
 * on; else the exit status to leave with: rank 0 says why in one line and
 * gets 2, the other ranks 0 (a rank exiting non-zero first had mpirun kill
 * rank 0 before its line was out). */
int cli_one_process(const char *cmd);

/* For --out of train and simulate, before any work: an existing file there
 * is replaced only when it is a lesde store no sweep is writing, so that a
 * slip of the path loses nothing. 0: go on; else the exit status, the
 * line printed (1: a sweep holds it; 2: not a lesde store). */
int cli_out_replaceable(const char *out);

/* Strict number parsing: the whole string must be a number. 0 on success. */
int cli_long(const char *s, long *out);
int cli_double(const char *s, double *out);

/* The exit-code paragraph every --help shows. */
extern const char cli_exit_codes[];

#endif
