/* A daemon with a listening TCP socket: one thread accepts, another keeps house. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *housekeeping(void *argument) {
    (void)argument;
    for (;;) {
        sleep(30);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 7070;
    int one = 1;
    int listener;
    struct sockaddr_in address;
    pthread_t helper;
    static const char banner[] = "civic-daemon\n";

    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) {
        perror("civic-daemon: socket");
        return 1;
    }
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 8) < 0) {
        perror("civic-daemon: bind/listen");
        return 1;
    }
    pthread_create(&helper, NULL, housekeeping, NULL);
    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client >= 0) {
            ssize_t ignored = write(client, banner, sizeof banner - 1);
            (void)ignored;
            close(client);
        }
    }
}
