/*
 * The faultrun subcommands. main.c picks one by its first argument; each
 * returns the process exit status (0 ok, 1 assertion failed, 2 bad input,
 * 3 could not run).
 */
#ifndef FAULTRUN_CLI_H
#define FAULTRUN_CLI_H

/*
 * faultrun exec: a rule never fired (the command's own status otherwise).
 * Chosen outside what commands commonly return: 1-2, sysexits' 64-78,
 * 124-127 (timeout(1), shells) and 128+N (signals).
 */
#define FR_EXIT_NOT_FIRED 90

int fr_cmd_exec(int argc, char **argv);	  /* cmd_exec.c */
int fr_cmd_ctl(int argc, char **argv);	  /* cmd_ctl.c */
int fr_cmd_run(int argc, char **argv);	  /* cmd_run.c: faultrun [run] FILE|DIR... */
int fr_cmd_check(int argc, char **argv);  /* cmd_run.c: faultrun check FILE... */
int fr_cmd_report(int argc, char **argv); /* cmd_report.c: faultrun report journal.json --html F */
int fr_cmd_help(const char *topic);	  /* cmd_help.c: faultrun help TOPIC (a man page) */

#endif /* FAULTRUN_CLI_H */
