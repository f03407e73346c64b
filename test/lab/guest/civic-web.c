/*
 * civic-web: a small pre-forking HTTP/1.1 server with one tuning knob that matters.
 *
 *   civic-web [-c FILE] [-p PIDFILE]    run in the foreground
 *   civic-web -d [-c FILE] [-p PIDFILE] check the configuration, listen, then detach
 *   civic-web -t [-c FILE]              check the configuration and exit 0 (good) or 1 (bad)
 *
 * -l LOGDIR (default /var/log/civic-web) holds access.log (Common Log Format) and error.log.
 *
 * FILE (default /etc/civic-web.conf) holds `key = value` lines and `#` comments. Each worker serves
 * one connection at a time (keep-alive included), and every request waits backend_ms as a backend
 * call would, then hashes a buffer cpu_rounds times: throughput grows with `workers` until the vCPU
 * is saturated. SIGHUP re-reads the file (a bad file is logged and the running configuration kept);
 * SIGTERM stops the workers and the server.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONFIG "/etc/civic-web.conf"
#define DEFAULT_PIDFILE "/run/civic-web.pid"
#define DEFAULT_LOG_DIR "/var/log/civic-web"
#define MAX_WORKERS 64
#define MAX_HEAD 8192

struct config {
    long port;
    long workers;
    long backend_ms;
    long cpu_rounds;
    long keepalive_requests;
    long keepalive_timeout_ms;
};

struct setting {
    const char *key;
    long minimum;
    long maximum;
    size_t offset;
};

static const struct setting SETTINGS[] = {
    {"port", 1, 65535, offsetof(struct config, port)},
    {"workers", 1, MAX_WORKERS, offsetof(struct config, workers)},
    {"backend_ms", 0, 60000, offsetof(struct config, backend_ms)},
    {"cpu_rounds", 0, 100000, offsetof(struct config, cpu_rounds)},
    {"keepalive_requests", 1, 1000000, offsetof(struct config, keepalive_requests)},
    {"keepalive_timeout_ms", 1, 600000, offsetof(struct config, keepalive_timeout_ms)},
};

static const struct config DEFAULTS = {8080, 2, 20, 20, 100, 5000};

/* access.log and error.log live here (-l changes it). */
static const char *log_dir = DEFAULT_LOG_DIR;

static volatile sig_atomic_t reload_requested;
static volatile sig_atomic_t stop_requested;

static void timestamp(char *buffer, size_t size) {
    time_t now = time(NULL);
    struct tm parts;
    gmtime_r(&now, &parts);
    strftime(buffer, size, "%d/%b/%Y:%H:%M:%S +0000", &parts);
}

/* Appends one line to the error log (created with its folder when missing). */
static void error_log(const char *message) {
    char when[64];
    char line[1024];
    char path[512];
    int fd;
    snprintf(path, sizeof path, "%s/error.log", log_dir);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) return;
    timestamp(when, sizeof when);
    snprintf(line, sizeof line, "[%s] %s\n", when, message);
    if (write(fd, line, strlen(line)) < 0) { /* nothing better to do */ }
    close(fd);
}

static char *trim(char *text) {
    char *end;
    while (*text == ' ' || *text == '\t') text++;
    end = text + strlen(text);
    while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) *--end = '\0';
    return text;
}

/*
 * Reads FILE into *out. On a bad file writes a message naming file, line and key into `error`
 * and returns -1; *out is untouched then.
 */
static int read_config(const char *path, struct config *out, char *error, size_t error_size) {
    struct config config = DEFAULTS;
    char line[512];
    int number = 0;
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(error, error_size, "civic-web: %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, file)) {
        char *text;
        char *equals;
        char *key;
        char *value;
        char *end;
        long parsed;
        size_t index;
        const struct setting *setting = NULL;
        number++;
        if (!strchr(line, '\n') && !feof(file)) {
            snprintf(error, error_size, "civic-web: %s:%d: line longer than %d characters", path, number, (int)sizeof line - 2);
            fclose(file);
            return -1;
        }
        if ((text = strchr(line, '#')) != NULL) *text = '\0';
        text = trim(line);
        if (*text == '\0') continue;
        equals = strchr(text, '=');
        if (!equals) {
            snprintf(error, error_size, "civic-web: %s:%d: expected `key = value`, got '%s'", path, number, text);
            fclose(file);
            return -1;
        }
        *equals = '\0';
        key = trim(text);
        value = trim(equals + 1);
        for (index = 0; index < sizeof SETTINGS / sizeof SETTINGS[0]; index++) {
            if (strcmp(SETTINGS[index].key, key) == 0) setting = &SETTINGS[index];
        }
        if (!setting) {
            snprintf(error, error_size, "civic-web: %s:%d: unknown key '%s'", path, number, key);
            fclose(file);
            return -1;
        }
        errno = 0;
        parsed = strtol(value, &end, 10);
        if (*value == '\0' || *end != '\0' || errno != 0) {
            snprintf(error, error_size, "civic-web: %s:%d: %s: '%s' is not a number", path, number, key, value);
            fclose(file);
            return -1;
        }
        if (parsed < setting->minimum || parsed > setting->maximum) {
            snprintf(error, error_size, "civic-web: %s:%d: %s: %ld is outside %ld..%ld", path, number, key, parsed,
                     setting->minimum, setting->maximum);
            fclose(file);
            return -1;
        }
        *(long *)((char *)&config + setting->offset) = parsed;
    }
    fclose(file);
    *out = config;
    return 0;
}

static void describe(const struct config *config, char *buffer, size_t size) {
    snprintf(buffer, size, "port=%ld workers=%ld backend_ms=%ld cpu_rounds=%ld keepalive_requests=%ld keepalive_timeout_ms=%ld",
             config->port, config->workers, config->backend_ms, config->cpu_rounds, config->keepalive_requests,
             config->keepalive_timeout_ms);
}

/* The request's "CPU work": FNV-1a over a 4 KiB buffer, `rounds` times. */
static unsigned long cpu_work(long rounds) {
    static unsigned char buffer[4096];
    unsigned long hash = 1469598103934665603UL;
    long round;
    size_t index;
    for (round = 0; round < rounds; round++) {
        buffer[round % sizeof buffer] = (unsigned char)hash;
        for (index = 0; index < sizeof buffer; index++) {
            hash ^= buffer[index];
            hash *= 1099511628211UL;
        }
    }
    return hash;
}

static int write_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += written;
        length -= (size_t)written;
    }
    return 0;
}

static int header_says(const char *head, const char *name, const char *word) {
    const char *line = strstr(head, "\r\n");
    size_t name_length = strlen(name);
    while (line && line[2] != '\r' && line[2] != '\0') {
        const char *start = line + 2;
        const char *end = strstr(start, "\r\n");
        if (!end) break;
        if ((size_t)(end - start) > name_length && strncasecmp(start, name, name_length) == 0 && start[name_length] == ':') {
            char value[256];
            size_t length = (size_t)(end - start) - name_length - 1;
            if (length >= sizeof value) length = sizeof value - 1;
            memcpy(value, start + name_length + 1, length);
            value[length] = '\0';
            if (word == NULL) return atoi(value);
            return strcasestr(value, word) != NULL;
        }
        line = end;
    }
    return 0;
}

/* Serves one connection until it closes, asks to close, idles out or reaches keepalive_requests. */
static void serve_connection(int client, const struct sockaddr_in *peer, const struct config *config, int access_fd) {
    char head[MAX_HEAD + 1] = "";
    size_t used = 0;
    long served = 0;
    char peer_text[INET_ADDRSTRLEN];
    struct timeval timeout;
    inet_ntop(AF_INET, &peer->sin_addr, peer_text, sizeof peer_text);
    timeout.tv_sec = config->keepalive_timeout_ms / 1000;
    timeout.tv_usec = (config->keepalive_timeout_ms % 1000) * 1000;
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

    while (served < config->keepalive_requests && !stop_requested) {
        char *end_of_head;
        char method[16] = "";
        char target[1024] = "";
        char version[16] = "";
        char request_line[1100];
        char body[512];
        char response[1024];
        char when[64];
        char log_line[1400];
        const char *status = "200 OK";
        int status_code = 200;
        int keep_alive;
        int body_length;
        int response_length;
        size_t head_length;
        long content_length;
        struct timespec wait;

        while ((end_of_head = strstr(head, "\r\n\r\n")) == NULL) {
            ssize_t got;
            if (used >= MAX_HEAD) return;
            got = read(client, head + used, MAX_HEAD - used);
            if (got < 0 && errno == EINTR && !stop_requested) continue;
            if (got <= 0) return;
            used += (size_t)got;
            head[used] = '\0';
        }
        head_length = (size_t)(end_of_head - head) + 4;
        *end_of_head = '\0';
        {
            const char *line_end = strstr(head, "\r\n");
            size_t length = line_end ? (size_t)(line_end - head) : strlen(head);
            if (length >= sizeof request_line) length = sizeof request_line - 1;
            memcpy(request_line, head, length);
            request_line[length] = '\0';
        }
        /* header_says looks for "\r\n" after each header; restore the terminator it needs. */
        end_of_head[0] = '\r';
        end_of_head[1] = '\n';
        end_of_head[2] = '\0';
        if (sscanf(request_line, "%15s %1023s %15s", method, target, version) != 3 || strncmp(version, "HTTP/1.", 7) != 0) {
            status = "400 Bad Request";
            status_code = 400;
            keep_alive = 0;
        } else if (strcmp(version, "HTTP/1.0") == 0) {
            keep_alive = header_says(head, "Connection", "keep-alive");
        } else {
            keep_alive = !header_says(head, "Connection", "close");
        }
        content_length = status_code == 200 ? header_says(head, "Content-Length", NULL) : 0;
        if (content_length < 0 || content_length > MAX_HEAD) keep_alive = 0;

        /* The "backend call", then the CPU work. */
        wait.tv_sec = config->backend_ms / 1000;
        wait.tv_nsec = (config->backend_ms % 1000) * 1000000L;
        while (nanosleep(&wait, &wait) < 0 && errno == EINTR && !stop_requested) {
        }

        if (status_code == 200) {
            unsigned long hash = cpu_work(config->cpu_rounds);
            if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
                status = "405 Method Not Allowed";
                status_code = 405;
                snprintf(body, sizeof body, "method not allowed\n");
            } else if (strcmp(target, "/") == 0 || strncmp(target, "/?", 2) == 0) {
                snprintf(body, sizeof body, "civic-web ok pid=%d served=%ld hash=%016lx\n", (int)getpid(), served + 1, hash);
            } else if (strcmp(target, "/config") == 0) {
                describe(config, body, sizeof body - 1);
                strcat(body, "\n");
            } else {
                status = "404 Not Found";
                status_code = 404;
                snprintf(body, sizeof body, "not found\n");
            }
        } else {
            snprintf(body, sizeof body, "bad request\n");
        }
        served++;
        if (served >= config->keepalive_requests) keep_alive = 0;
        body_length = (int)strlen(body);
        response_length = snprintf(response, sizeof response,
                                   "HTTP/1.1 %s\r\nServer: civic-web\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n%s",
                                   status, body_length, keep_alive ? "keep-alive" : "close",
                                   strcmp(method, "HEAD") == 0 ? "" : body);
        if (write_all(client, response, (size_t)response_length) < 0) return;

        timestamp(when, sizeof when);
        snprintf(log_line, sizeof log_line, "%s - - [%s] \"%s\" %d %d\n", peer_text, when, request_line, status_code,
                 strcmp(method, "HEAD") == 0 ? 0 : body_length);
        /* One write per line on an O_APPEND descriptor: lines of different workers never mix. */
        if (access_fd >= 0 && write(access_fd, log_line, strlen(log_line)) < 0) { /* keep serving */ }

        if (!keep_alive) return;
        /* Drop this request's head (and a body, which GET and HEAD do not carry) and keep what follows. */
        head_length += (size_t)content_length;
        if (head_length > used) return;
        memmove(head, head + head_length, used - head_length);
        used -= head_length;
        head[used] = '\0';
    }
}

static void on_stop(int signal_number) {
    (void)signal_number;
    stop_requested = 1;
}

static void on_reload(int signal_number) {
    (void)signal_number;
    reload_requested = 1;
}

static void on_child(int signal_number) {
    (void)signal_number;
}

static void install(int signal_number, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaction(signal_number, &action, NULL);
}

static void worker_loop(int listener, const struct config *config) {
    int access_fd;
    char path[512];
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);
    signal(SIGHUP, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    snprintf(path, sizeof path, "%s/access.log", log_dir);
    access_fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    while (!stop_requested) {
        struct sockaddr_in peer;
        socklen_t peer_length = sizeof peer;
        int client = accept(listener, (struct sockaddr *)&peer, &peer_length);
        if (client < 0) continue;
        serve_connection(client, &peer, config, access_fd);
        close(client);
    }
    _exit(0);
}

static pid_t start_worker(int listener, const struct config *config) {
    pid_t pid = fork();
    if (pid == 0) worker_loop(listener, config);
    return pid;
}

static int open_listener(long port, char *error, size_t error_size) {
    int one = 1;
    struct sockaddr_in address;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) {
        snprintf(error, error_size, "civic-web: socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 128) < 0) {
        snprintf(error, error_size, "civic-web: listen on :%ld: %s", port, strerror(errno));
        close(listener);
        return -1;
    }
    return listener;
}

static void usage(void) {
    fprintf(stderr, "usage: civic-web [-t | -d] [-c FILE] [-p PIDFILE] [-l LOGDIR]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *config_path = DEFAULT_CONFIG;
    const char *pid_path = DEFAULT_PIDFILE;
    int test_only = 0;
    int detach = 0;
    int option;
    int listener;
    char error[768];
    char summary[256];
    struct config config;
    pid_t workers[MAX_WORKERS];
    long running;
    long index;
    FILE *pid_file;

    while ((option = getopt(argc, argv, "tdc:p:l:")) != -1) {
        switch (option) {
        case 't': test_only = 1; break;
        case 'd': detach = 1; break;
        case 'c': config_path = optarg; break;
        case 'p': pid_path = optarg; break;
        case 'l': log_dir = optarg; break;
        default: usage();
        }
    }
    if (optind != argc) usage();

    if (!test_only) {
        mkdir("/var/log", 0755);
        mkdir(log_dir, 0755);
    }
    if (read_config(config_path, &config, error, sizeof error) < 0) {
        fprintf(stderr, "%s\n", error);
        if (!test_only) error_log(error);
        return 1;
    }
    describe(&config, summary, sizeof summary);
    if (test_only) {
        printf("civic-web: %s: configuration OK (%s)\n", config_path, summary);
        return 0;
    }
    listener = open_listener(config.port, error, sizeof error);
    if (listener < 0) {
        fprintf(stderr, "%s\n", error);
        error_log(error);
        return 1;
    }
    if (detach) {
        int null_fd;
        pid_t child = fork();
        if (child < 0) {
            perror("civic-web: fork");
            return 1;
        }
        if (child > 0) {
            /* Written before the parent exits, so whoever started us finds the PID at once. */
            pid_file = fopen(pid_path, "w");
            if (pid_file) {
                fprintf(pid_file, "%d\n", (int)child);
                fclose(pid_file);
            }
            return 0;
        }
        setsid();
        null_fd = open("/dev/null", O_RDWR);
        if (null_fd >= 0) {
            dup2(null_fd, 0);
            dup2(null_fd, 1);
            dup2(null_fd, 2);
            if (null_fd > 2) close(null_fd);
        }
    } else {
        pid_file = fopen(pid_path, "w");
        if (pid_file) {
            fprintf(pid_file, "%d\n", (int)getpid());
            fclose(pid_file);
        }
    }
    install(SIGTERM, on_stop);
    install(SIGINT, on_stop);
    install(SIGHUP, on_reload);
    install(SIGCHLD, on_child);
    snprintf(error, sizeof error, "civic-web: started, pid %d, %s", (int)getpid(), summary);
    error_log(error);

    for (index = 0; index < config.workers; index++) workers[index] = start_worker(listener, &config);
    running = config.workers;

    while (!stop_requested) {
        int status;
        pid_t done;
        if (reload_requested) {
            struct config fresh;
            reload_requested = 0;
            if (read_config(config_path, &fresh, error, sizeof error) < 0) {
                error_log(error);
                error_log("civic-web: reload refused, the running configuration stays");
            } else if (fresh.port != config.port) {
                snprintf(error, sizeof error, "civic-web: %s: port changes need a restart; reload refused", config_path);
                error_log(error);
            } else {
                /* New workers with the new configuration; the old ones finish their current request. */
                for (index = 0; index < running; index++) {
                    if (workers[index] > 0) kill(workers[index], SIGTERM);
                }
                config = fresh;
                for (index = 0; index < config.workers; index++) workers[index] = start_worker(listener, &config);
                running = config.workers;
                describe(&config, summary, sizeof summary);
                snprintf(error, sizeof error, "civic-web: reloaded, %s", summary);
                error_log(error);
            }
        }
        done = waitpid(-1, &status, WNOHANG);
        if (done <= 0) {
            /* A signal cuts the nap short; one that lands just before it waits at most 100 ms. */
            struct timespec nap = {0, 100000000L};
            nanosleep(&nap, NULL);
            continue;
        }
        for (index = 0; index < running; index++) {
            if (workers[index] == done && !stop_requested && !reload_requested) {
                /* A worker of the current set died: replace it. */
                workers[index] = start_worker(listener, &config);
            }
        }
    }
    for (index = 0; index < running; index++) {
        if (workers[index] > 0) kill(workers[index], SIGTERM);
    }
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
    }
    unlink(pid_path);
    error_log("civic-web: stopped");
    return 0;
}
