/* Sleeps forever; with --name NAME it renames itself (comm and argv[0]) to look like something else. */
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "--name") == 0) {
        const char *name = argv[2];
        size_t room = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
        prctl(PR_SET_NAME, name, 0, 0, 0);
        /* Rewrite the whole argument area so /proc/PID/cmdline shows only the fake name. */
        memset(argv[0], 0, room);
        strncpy(argv[0], name, room - 1);
    }
    for (;;) {
        pause();
    }
}
