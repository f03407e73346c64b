/* A multi-threaded worker: each thread rewrites its own slice of a block device, like a busy database. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_SIZE 4096
#define BLOCKS_PER_THREAD 256

static const char *device_path;

static void *write_loop(void *argument) {
    long index = (long)argument;
    char block[BLOCK_SIZE];
    unsigned long round = 0;
    int fd = open(device_path, O_WRONLY);
    if (fd < 0) {
        perror("civic-worker: open");
        return NULL;
    }
    for (;;) {
        off_t offset = ((off_t)index * BLOCKS_PER_THREAD + (off_t)(round % BLOCKS_PER_THREAD)) * BLOCK_SIZE;
        memset(block, 0, sizeof block);
        snprintf(block, sizeof block, "civic-worker thread=%ld round=%lu\n", index, round);
        if (pwrite(fd, block, sizeof block, offset) != (ssize_t)sizeof block) {
            perror("civic-worker: pwrite");
        }
        if (round % 16 == 0) {
            fdatasync(fd);
        }
        round++;
        usleep(200000);
    }
    return NULL;
}

int main(int argc, char **argv) {
    long count;
    long index;
    pthread_t threads[64];
    if (argc < 3) {
        fprintf(stderr, "usage: civic-worker DEVICE THREADS\n");
        return 2;
    }
    device_path = argv[1];
    count = strtol(argv[2], NULL, 10);
    if (count < 1 || count > 64) {
        count = 4;
    }
    for (index = 0; index < count; index++) {
        pthread_create(&threads[index], NULL, write_loop, (void *)index);
    }
    for (index = 0; index < count; index++) {
        pthread_join(threads[index], NULL);
    }
    return 0;
}
