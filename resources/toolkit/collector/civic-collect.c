/*
 * civic-collect: reads /proc and a few system files directly and writes one capture-bundle JSON
 * document (processes, sockets or system facts). It runs as root inside a clone whose own binaries may
 * be trojaned, so it depends on nothing but libc (built with gcc -static) and treats every byte it reads
 * as hostile: each guest string goes through json_guest_string(), which writes valid UTF-8 as an
 * escaped JSON string and anything else as {"b64": ...}.
 *
 * Usage: civic-collect [--proc-root DIR] [--fs-root DIR] [--now SECONDS] -o FILE processes|sockets|system
 * Exit: 0 written, 1 written but truncated at a cap, 2 usage, 3 could not read /proc or write FILE.
 * One summary line goes to stderr.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <utmp.h>

/* Caps. They keep one document under the reader's 64 MiB limit whatever the guest holds. */
#define MAX_ARGV_BYTES (1024 * 1024)          /* bytes of /proc/PID/cmdline kept per process */
#define MAX_ENV_BYTES (256 * 1024)            /* bytes of /proc/PID/environ kept per process */
#define MAX_ENV_ENTRIES 4096
#define MAX_OUTPUT_BYTES (60 * 1024 * 1024)   /* whole document */
#define MAX_LINK_BYTES 8192
#define MAX_SMALL_FILE (4 * 1024 * 1024)      /* passwd, net tables, mounts, modules */
#define MAX_EXEC_MAPPINGS 64
#define MAX_FILES_PER_DIR 512
#define MAX_PERSISTENCE_FILES 4096
#define MAX_HASHED_FILE (16 * 1024 * 1024)
#define MAX_PRELOAD_BYTES 65536
#define PF_KTHREAD 0x00200000UL

static const char *proc_root = "/proc";
static const char *fs_root = "";
static double now_override = -1;

/* ---------- growable byte buffer ---------- */

struct buffer {
    char *data;
    size_t length;
    size_t capacity;
};

static void die_oom(void) {
    fputs("civic-collect: out of memory\n", stderr);
    exit(3);
}

static void buffer_reserve(struct buffer *buffer, size_t extra) {
    if (buffer->length + extra + 1 <= buffer->capacity) return;
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->length + extra + 1) capacity *= 2;
    char *grown = realloc(buffer->data, capacity);
    if (!grown) die_oom();
    buffer->data = grown;
    buffer->capacity = capacity;
}

static void buffer_append(struct buffer *buffer, const void *bytes, size_t length) {
    buffer_reserve(buffer, length);
    memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length += length;
    buffer->data[buffer->length] = '\0';
}

static void buffer_puts(struct buffer *buffer, const char *text) { buffer_append(buffer, text, strlen(text)); }

static void buffer_printf(struct buffer *buffer, const char *format, ...) {
    va_list arguments;
    char small[256];
    va_start(arguments, format);
    int length = vsnprintf(small, sizeof small, format, arguments);
    va_end(arguments);
    if (length < 0) return;
    if ((size_t)length < sizeof small) {
        buffer_append(buffer, small, (size_t)length);
        return;
    }
    buffer_reserve(buffer, (size_t)length);
    va_start(arguments, format);
    vsnprintf(buffer->data + buffer->length, (size_t)length + 1, format, arguments);
    va_end(arguments);
    buffer->length += (size_t)length;
}

static void buffer_free(struct buffer *buffer) {
    free(buffer->data);
    buffer->data = NULL;
    buffer->length = buffer->capacity = 0;
}

/* ---------- the guest string encoder ---------- */

/* Length of the valid UTF-8 sequence at bytes[0], or 0 (overlongs, surrogates and > U+10FFFF are invalid). */
static size_t utf8_sequence_length(const unsigned char *bytes, size_t available) {
    unsigned char first = bytes[0];
    if (first < 0x80) return 1;
    size_t length;
    uint32_t code;
    if (first >= 0xC2 && first <= 0xDF) {
        length = 2;
        code = first & 0x1F;
    } else if (first >= 0xE0 && first <= 0xEF) {
        length = 3;
        code = first & 0x0F;
    } else if (first >= 0xF0 && first <= 0xF4) {
        length = 4;
        code = first & 0x07;
    } else {
        return 0;
    }
    if (available < length) return 0;
    for (size_t index = 1; index < length; index++) {
        if ((bytes[index] & 0xC0) != 0x80) return 0;
        code = (code << 6) | (bytes[index] & 0x3F);
    }
    if (length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) return 0;
    if (length == 4 && (code < 0x10000 || code > 0x10FFFF)) return 0;
    return length;
}

static int is_valid_utf8(const unsigned char *bytes, size_t length) {
    size_t offset = 0;
    while (offset < length) {
        size_t step = utf8_sequence_length(bytes + offset, length - offset);
        if (step == 0) return 0;
        offset += step;
    }
    return 1;
}

static void json_base64(struct buffer *out, const unsigned char *bytes, size_t length) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    buffer_reserve(out, (length + 2) / 3 * 4);
    for (size_t index = 0; index < length; index += 3) {
        uint32_t group = (uint32_t)bytes[index] << 16;
        if (index + 1 < length) group |= (uint32_t)bytes[index + 1] << 8;
        if (index + 2 < length) group |= bytes[index + 2];
        char quad[4] = {alphabet[(group >> 18) & 63], alphabet[(group >> 12) & 63],
                        index + 1 < length ? alphabet[(group >> 6) & 63] : '=',
                        index + 2 < length ? alphabet[group & 63] : '='};
        buffer_append(out, quad, 4);
    }
}

/* Writes a trusted ASCII/UTF-8 string (our own labels), escaped. */
static void json_string(struct buffer *out, const char *bytes, size_t length) {
    buffer_reserve(out, length + 2);
    buffer_append(out, "\"", 1);
    size_t run = 0;
    for (size_t index = 0; index < length; index++) {
        unsigned char byte = (unsigned char)bytes[index];
        if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
        buffer_append(out, bytes + run, index - run);
        run = index + 1;
        if (byte == '"') buffer_append(out, "\\\"", 2);
        else if (byte == '\\') buffer_append(out, "\\\\", 2);
        else buffer_printf(out, "\\u%04x", byte);
    }
    buffer_append(out, bytes + run, length - run);
    buffer_append(out, "\"", 1);
}

/* The one encoder for guest bytes: an escaped JSON string when valid UTF-8, else {"b64":"..."}. */
static void json_guest_string(struct buffer *out, const void *bytes, size_t length) {
    if (is_valid_utf8(bytes, length)) {
        json_string(out, bytes, length);
        return;
    }
    buffer_puts(out, "{\"b64\":\"");
    json_base64(out, bytes, length);
    buffer_puts(out, "\"}");
}

static void json_guest_cstring(struct buffer *out, const char *text) { json_guest_string(out, text, strlen(text)); }

static void json_utc(struct buffer *out, double seconds) {
    time_t whole = (time_t)seconds;
    long millis = (long)((seconds - (double)whole) * 1000.0 + 0.5);
    if (millis >= 1000) {
        whole += 1;
        millis -= 1000;
    }
    struct tm parts;
    gmtime_r(&whole, &parts);
    buffer_printf(out, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                  parts.tm_hour, parts.tm_min, parts.tm_sec, millis);
}

/* ---------- SHA-256 (FIPS 180-4), for persistence files ---------- */

struct sha256 {
    uint32_t state[8];
    uint64_t total;
    unsigned char block[64];
    size_t used;
};

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROTR(value, bits) (((value) >> (bits)) | ((value) << (32 - (bits))))

static void sha256_block(struct sha256 *context, const unsigned char *block) {
    uint32_t words[64];
    for (int index = 0; index < 16; index++) {
        words[index] = (uint32_t)block[index * 4] << 24 | (uint32_t)block[index * 4 + 1] << 16 |
                       (uint32_t)block[index * 4 + 2] << 8 | block[index * 4 + 3];
    }
    for (int index = 16; index < 64; index++) {
        uint32_t s0 = ROTR(words[index - 15], 7) ^ ROTR(words[index - 15], 18) ^ (words[index - 15] >> 3);
        uint32_t s1 = ROTR(words[index - 2], 17) ^ ROTR(words[index - 2], 19) ^ (words[index - 2] >> 10);
        words[index] = words[index - 16] + s0 + words[index - 7] + s1;
    }
    uint32_t a = context->state[0], b = context->state[1], c = context->state[2], d = context->state[3];
    uint32_t e = context->state[4], f = context->state[5], g = context->state[6], h = context->state[7];
    for (int index = 0; index < 64; index++) {
        uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[index] + words[index];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    context->state[0] += a;
    context->state[1] += b;
    context->state[2] += c;
    context->state[3] += d;
    context->state[4] += e;
    context->state[5] += f;
    context->state[6] += g;
    context->state[7] += h;
}

static void sha256_init(struct sha256 *context) {
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(context->state, initial, sizeof initial);
    context->total = 0;
    context->used = 0;
}

static void sha256_update(struct sha256 *context, const unsigned char *bytes, size_t length) {
    context->total += length;
    while (length > 0) {
        size_t take = 64 - context->used;
        if (take > length) take = length;
        memcpy(context->block + context->used, bytes, take);
        context->used += take;
        bytes += take;
        length -= take;
        if (context->used == 64) {
            sha256_block(context, context->block);
            context->used = 0;
        }
    }
}

static void sha256_hex(struct sha256 *context, char hex[65]) {
    uint64_t bits = context->total * 8;
    unsigned char pad = 0x80;
    sha256_update(context, &pad, 1);
    pad = 0;
    while (context->used != 56) sha256_update(context, &pad, 1);
    unsigned char length_bytes[8];
    for (int index = 0; index < 8; index++) length_bytes[index] = (unsigned char)(bits >> (56 - 8 * index));
    sha256_update(context, length_bytes, 8);
    for (int index = 0; index < 8; index++) sprintf(hex + index * 8, "%08x", context->state[index]);
    hex[64] = '\0';
}

/* ---------- reading guest files ---------- */

/* Reads up to `cap` bytes (plus one, to notice more) of a file. Returns 0 on success, -1 with errno. */
static int read_capped(const char *path, size_t cap, struct buffer *out, int *truncated) {
    out->length = 0;
    buffer_reserve(out, 0);
    if (truncated) *truncated = 0;
    /* O_NOFOLLOW: a guest file swapped for a link to somewhere else is not read through the link. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) return -1;
    char chunk[65536];
    for (;;) {
        size_t room = cap + 1 - out->length;
        ssize_t got = read(fd, chunk, room < sizeof chunk ? room : sizeof chunk);
        if (got < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (got == 0) break;
        buffer_append(out, chunk, (size_t)got);
        if (out->length > cap) {
            out->length = cap;
            out->data[cap] = '\0';
            if (truncated) *truncated = 1;
            break;
        }
    }
    close(fd);
    return 0;
}

static void path_join(char *out, size_t size, const char *first, const char *second) {
    snprintf(out, size, "%s%s", first, second);
}

static void proc_path(char *out, size_t size, const char *relative) { snprintf(out, size, "%s/%s", proc_root, relative); }

/* readlink into a NUL-terminated buffer; returns the length or -1. */
static ssize_t read_link(const char *path, char *out, size_t size) {
    ssize_t length = readlink(path, out, size - 1);
    if (length < 0) return -1;
    out[length] = '\0';
    return length;
}

/* ---------- clock ---------- */

static double boot_time_seconds(void) {
    char path[4096];
    struct buffer text = {0};
    double boot = -1;
    proc_path(path, sizeof path, "stat");
    if (read_capped(path, MAX_SMALL_FILE, &text, NULL) == 0) {
        char *line = text.data ? strstr(text.data, "\nbtime ") : NULL;
        if (line) boot = strtod(line + 7, NULL);
    }
    buffer_free(&text);
    return boot;
}

static double now_seconds(void) {
    if (now_override >= 0) return now_override;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* ---------- users from the guest's passwd ---------- */

struct user_entry {
    unsigned long uid;
    char *name;
    size_t name_length;
};

static struct user_entry *users;
static size_t user_count;

static void load_users(void) {
    char path[4096];
    struct buffer text = {0};
    path_join(path, sizeof path, fs_root, "/etc/passwd");
    if (read_capped(path, MAX_SMALL_FILE, &text, NULL) != 0 || !text.data) return;
    char *cursor = text.data;
    while (*cursor) {
        char *end = strchr(cursor, '\n');
        if (end) *end = '\0';
        char *first_colon = strchr(cursor, ':');
        char *second_colon = first_colon ? strchr(first_colon + 1, ':') : NULL;
        if (second_colon) {
            char *after;
            unsigned long uid = strtoul(second_colon + 1, &after, 10);
            if (after != second_colon + 1 && *after == ':') {
                struct user_entry *grown = realloc(users, (user_count + 1) * sizeof *users);
                if (!grown) die_oom();
                users = grown;
                users[user_count].uid = uid;
                users[user_count].name_length = (size_t)(first_colon - cursor);
                users[user_count].name = strndup(cursor, users[user_count].name_length);
                if (!users[user_count].name) die_oom();
                user_count++;
            }
        }
        if (!end) break;
        cursor = end + 1;
    }
    buffer_free(&text);
}

static void json_user(struct buffer *out, unsigned long uid) {
    for (size_t index = 0; index < user_count; index++) {
        if (users[index].uid == uid) {
            json_guest_string(out, users[index].name, users[index].name_length);
            return;
        }
    }
    buffer_printf(out, "\"%lu\"", uid);
}

/* ---------- processes ---------- */

struct stat_fields {
    char state;
    unsigned long ppid;
    unsigned long flags;
    unsigned long long utime, stime, starttime, vsize;
    long long rss_pages;
    long threads;
    const char *comm;
    size_t comm_length;
};

/* Parses /proc/PID/stat. comm may hold spaces and ')' so the fields start after the LAST ')'. */
static int parse_stat(char *text, struct stat_fields *fields) {
    char *open = strchr(text, '(');
    char *close = strrchr(text, ')');
    if (!open || !close || close < open || close[1] != ' ') return -1;
    fields->comm = open + 1;
    fields->comm_length = (size_t)(close - open - 1);
    char *cursor = close + 2;
    char *values[64];
    int count = 0;
    while (*cursor && count < 64) {
        values[count++] = cursor;
        char *space = strchr(cursor, ' ');
        if (!space) break;
        cursor = space + 1;
    }
    /* values[0] is field 3 (state). */
    if (count < 22) return -1;
    fields->state = values[0][0];
    fields->ppid = strtoul(values[1], NULL, 10);
    fields->flags = strtoul(values[6], NULL, 10);
    fields->utime = strtoull(values[11], NULL, 10);
    fields->stime = strtoull(values[12], NULL, 10);
    fields->threads = strtol(values[17], NULL, 10);
    fields->starttime = strtoull(values[19], NULL, 10);
    fields->vsize = strtoull(values[20], NULL, 10);
    fields->rss_pages = strtoll(values[21], NULL, 10);
    return 0;
}

/* Reads the four numbers of a "Uid:" or "Gid:" status line. */
static int status_ids(const char *status, const char *key, unsigned long ids[4]) {
    const char *line = strstr(status, key);
    if (!line) return 0;
    line += strlen(key);
    for (int index = 0; index < 4; index++) {
        char *after;
        ids[index] = strtoul(line, &after, 10);
        if (after == line) return 0;
        line = after;
    }
    return 1;
}

static long status_number(const char *status, const char *key, long fallback) {
    const char *line = strstr(status, key);
    if (!line) return fallback;
    return strtol(line + strlen(key), NULL, 10);
}

/* Writes a NUL-separated list (cmdline, environ) as a JSON array of guest strings. */
static void json_nul_list(struct buffer *out, const struct buffer *list, size_t max_entries, int *entries_truncated) {
    buffer_puts(out, "[");
    size_t start = 0, written = 0, end = list->length;
    /* A process that rewrote its argument area (setproctitle, a fake name) leaves NUL padding behind. */
    while (end > 1 && list->data[end - 1] == '\0' && list->data[end - 2] == '\0') end--;
    while (start < end) {
        if (written == max_entries) {
            *entries_truncated = 1;
            break;
        }
        const char *entry = list->data + start;
        const char *nul = memchr(entry, '\0', end - start);
        size_t length = nul ? (size_t)(nul - entry) : end - start;
        if (written) buffer_puts(out, ",");
        json_guest_string(out, entry, length);
        written++;
        start += length + 1;
    }
    buffer_puts(out, "]");
}

/* Writes the link target of /proc/PID/NAME, or null. Sets *deleted for " (deleted)" targets when asked. */
static void json_proc_link(struct buffer *out, const char *pid_dir, const char *name, int *deleted) {
    char path[4096], target[MAX_LINK_BYTES];
    snprintf(path, sizeof path, "%s/%s", pid_dir, name);
    ssize_t length = read_link(path, target, sizeof target);
    if (length < 0) {
        buffer_puts(out, "null");
        return;
    }
    static const char suffix[] = " (deleted)";
    size_t suffix_length = sizeof suffix - 1;
    if (deleted && (size_t)length > suffix_length && memcmp(target + length - suffix_length, suffix, suffix_length) == 0) {
        *deleted = 1;
        length -= (ssize_t)suffix_length;
    }
    json_guest_string(out, target, (size_t)length);
}

static void json_namespaces(struct buffer *out, const char *pid_dir) {
    static const char *kinds[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};
    buffer_puts(out, "{");
    int written = 0;
    for (size_t index = 0; index < sizeof kinds / sizeof kinds[0]; index++) {
        char path[4096], target[256];
        snprintf(path, sizeof path, "%s/ns/%s", pid_dir, kinds[index]);
        if (read_link(path, target, sizeof target) < 0) continue;
        char *bracket = strchr(target, '[');
        if (!bracket) continue;
        buffer_printf(out, "%s\"%s\":%llu", written ? "," : "", kinds[index], strtoull(bracket + 1, NULL, 10));
        written++;
    }
    buffer_puts(out, "}");
}

/* Executable mappings with no file behind them (or a deleted/memfd one): where injected code lives. */
static void json_exec_mappings(struct buffer *out, const char *pid_dir, size_t *count) {
    char path[4096];
    struct buffer maps = {0};
    snprintf(path, sizeof path, "%s/maps", pid_dir);
    *count = 0;
    int listed = 0, truncated = 0;
    buffer_puts(out, "\"executableAnonymousMappings\":[");
    if (read_capped(path, MAX_SMALL_FILE, &maps, NULL) == 0 && maps.data) {
        char *cursor = maps.data;
        while (*cursor) {
            char *end = strchr(cursor, '\n');
            if (end) *end = '\0';
            char range[64], permissions[8];
            int name_offset = -1;
            /* %n is only reached when all five fields were there: a short line is not a mapping. */
            if (sscanf(cursor, "%63s %7s %*s %*s %*s%n", range, permissions, &name_offset) == 2 && name_offset > 0 &&
                strlen(permissions) == 4 && permissions[2] == 'x') {
                const char *name = cursor + name_offset;
                while (*name == ' ') name++;
                size_t name_length = strlen(name);
                int anonymous = name_length == 0 || name[0] == '[' || strncmp(name, "/memfd:", 7) == 0 ||
                                (name_length > 10 && strcmp(name + name_length - 10, " (deleted)") == 0);
                if (anonymous && strcmp(name, "[vdso]") != 0 && strcmp(name, "[vsyscall]") != 0) {
                    (*count)++;
                    if (listed < MAX_EXEC_MAPPINGS) {
                        buffer_puts(out, listed ? "," : "");
                        buffer_puts(out, "{\"range\":");
                        json_string(out, range, strlen(range));
                        buffer_puts(out, ",\"permissions\":");
                        json_string(out, permissions, strlen(permissions));
                        buffer_puts(out, ",\"name\":");
                        json_guest_string(out, name, name_length);
                        buffer_puts(out, "}");
                        listed++;
                    } else {
                        truncated = 1;
                    }
                }
            }
            if (!end) break;
            cursor = end + 1;
        }
    }
    buffer_printf(out, "],\"executableAnonymousMappingsTruncated\":%s", truncated ? "true" : "false");
    buffer_free(&maps);
}

static long count_fds(const char *pid_dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/fd", pid_dir);
    DIR *directory = opendir(path);
    if (!directory) return -1;
    long count = 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        if (entry->d_name[0] != '.') count++;
    }
    closedir(directory);
    return count;
}

static int is_pid_name(const char *name) {
    if (!*name) return 0;
    for (const char *cursor = name; *cursor; cursor++) {
        if (*cursor < '0' || *cursor > '9') return 0;
    }
    return 1;
}

static int compare_pids(const void *left, const void *right) {
    unsigned long a = *(const unsigned long *)left, b = *(const unsigned long *)right;
    return a < b ? -1 : a > b;
}

/* Lists the numeric entries of the proc root, sorted. */
static unsigned long *list_pids(size_t *count) {
    DIR *directory = opendir(proc_root);
    if (!directory) return NULL;
    unsigned long *pids = NULL;
    size_t used = 0, capacity = 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        if (!is_pid_name(entry->d_name)) continue;
        if (used == capacity) {
            capacity = capacity ? capacity * 2 : 256;
            unsigned long *grown = realloc(pids, capacity * sizeof *pids);
            if (!grown) die_oom();
            pids = grown;
        }
        pids[used++] = strtoul(entry->d_name, NULL, 10);
    }
    closedir(directory);
    qsort(pids, used, sizeof *pids, compare_pids);
    *count = used;
    return pids ? pids : calloc(1, sizeof *pids);
}

struct summary {
    size_t items;
    size_t vanished;
    size_t capped;
    int truncated;
};

/* Builds one process record; returns -1 when the process vanished before its stat could be read. */
static int process_record(struct buffer *out, unsigned long pid, double boot, long ticks, long page_kib, int *capped) {
    char pid_dir[4096], path[4096];
    struct buffer stat_text = {0}, status = {0}, list = {0}, comm = {0};
    struct stat_fields fields;
    snprintf(pid_dir, sizeof pid_dir, "%s/%lu", proc_root, pid);
    snprintf(path, sizeof path, "%s/stat", pid_dir);
    if (read_capped(path, 65536, &stat_text, NULL) != 0 || !stat_text.data || parse_stat(stat_text.data, &fields) != 0) {
        buffer_free(&stat_text);
        return -1;
    }
    snprintf(path, sizeof path, "%s/status", pid_dir);
    if (read_capped(path, 65536, &status, NULL) != 0 || !status.data) buffer_puts(&status, "");
    unsigned long uids[4] = {0, 0, 0, 0}, gids[4] = {0, 0, 0, 0};
    int have_uids = status_ids(status.data, "\nUid:", uids);
    int have_gids = status_ids(status.data, "\nGid:", gids);
    long tracer = status_number(status.data, "\nTracerPid:", 0);
    long threads = status_number(status.data, "\nThreads:", fields.threads);
    int kernel_thread = (fields.flags & PF_KTHREAD) != 0;

    buffer_printf(out, "{\"pid\":%lu,\"ppid\":%lu,\"name\":", pid, fields.ppid);
    snprintf(path, sizeof path, "%s/comm", pid_dir);
    if (read_capped(path, 4096, &comm, NULL) == 0 && comm.data) {
        size_t length = comm.length;
        if (length > 0 && comm.data[length - 1] == '\n') length--;
        json_guest_string(out, comm.data, length);
    } else {
        json_guest_string(out, fields.comm, fields.comm_length);
    }
    buffer_puts(out, ",\"user\":");
    json_user(out, uids[0]);
    buffer_printf(out, ",\"uid\":%lu,\"state\":\"%c\"", uids[0], fields.state >= 'A' && fields.state <= 'z' ? fields.state : '?');
    if (have_uids) buffer_printf(out, ",\"uids\":[%lu,%lu,%lu,%lu]", uids[0], uids[1], uids[2], uids[3]);
    if (have_gids) buffer_printf(out, ",\"gids\":[%lu,%lu,%lu,%lu]", gids[0], gids[1], gids[2], gids[3]);

    int deleted = 0;
    buffer_puts(out, ",\"exe\":");
    if (kernel_thread) buffer_puts(out, "null");
    else json_proc_link(out, pid_dir, "exe", &deleted);
    buffer_printf(out, ",\"exeDeleted\":%s,\"cwd\":", deleted ? "true" : "false");
    json_proc_link(out, pid_dir, "cwd", NULL);
    buffer_puts(out, ",\"root\":");
    json_proc_link(out, pid_dir, "root", NULL);

    int truncated = 0, entries_truncated = 0;
    snprintf(path, sizeof path, "%s/cmdline", pid_dir);
    if (read_capped(path, MAX_ARGV_BYTES, &list, &truncated) != 0) list.length = 0;
    buffer_puts(out, ",\"argv\":");
    json_nul_list(out, &list, 65536, &entries_truncated);
    buffer_printf(out, ",\"argvTruncated\":%s", truncated || entries_truncated ? "true" : "false");
    if (truncated || entries_truncated) *capped = 1;

    snprintf(path, sizeof path, "%s/environ", pid_dir);
    if (read_capped(path, MAX_ENV_BYTES, &list, &truncated) == 0) {
        entries_truncated = 0;
        buffer_puts(out, ",\"environment\":");
        json_nul_list(out, &list, MAX_ENV_ENTRIES, &entries_truncated);
        buffer_printf(out, ",\"environmentTruncated\":%s", truncated || entries_truncated ? "true" : "false");
        if (truncated || entries_truncated) *capped = 1;
    }

    buffer_printf(out, ",\"kernelThread\":%s,\"startedAt\":", kernel_thread ? "true" : "false");
    if (boot >= 0) json_utc(out, boot + (double)fields.starttime / (double)ticks);
    else buffer_puts(out, "null");
    long long rss = fields.rss_pages > 0 ? fields.rss_pages * page_kib : 0;
    buffer_printf(out, ",\"threads\":%ld,\"rssKiB\":%lld,\"vszKiB\":%llu,\"cpuSeconds\":%.2f,\"tracerPid\":%ld",
                  threads > 0 ? threads : 0, rss, fields.vsize / 1024, (double)(fields.utime + fields.stime) / (double)ticks,
                  tracer > 0 ? tracer : 0);
    long fds = count_fds(pid_dir);
    if (fds >= 0) buffer_printf(out, ",\"fdCount\":%ld", fds);

    snprintf(path, sizeof path, "%s/cgroup", pid_dir);
    if (read_capped(path, 65536, &list, NULL) == 0 && list.data) {
        size_t length = list.length;
        while (length > 0 && list.data[length - 1] == '\n') length--;
        buffer_puts(out, ",\"cgroup\":");
        json_guest_string(out, list.data, length);
    }
    buffer_puts(out, ",\"namespaces\":");
    json_namespaces(out, pid_dir);
    if (!kernel_thread) {
        size_t mappings;
        buffer_puts(out, ",");
        json_exec_mappings(out, pid_dir, &mappings);
    }
    buffer_puts(out, "}");
    buffer_free(&stat_text);
    buffer_free(&status);
    buffer_free(&list);
    buffer_free(&comm);
    return 0;
}

static int collect_processes(struct buffer *document, struct summary *summary) {
    size_t count;
    unsigned long *pids = list_pids(&count);
    if (!pids) return -1;
    double boot = boot_time_seconds();
    long ticks = sysconf(_SC_CLK_TCK);
    long page_kib = sysconf(_SC_PAGESIZE) / 1024;
    if (ticks <= 0) ticks = 100;
    if (page_kib <= 0) page_kib = 4;
    load_users();
    buffer_puts(document, "{\"schemaVersion\":1,\"capturedAt\":");
    json_utc(document, now_seconds());
    buffer_puts(document, ",\"processes\":[");
    struct buffer record = {0};
    for (size_t index = 0; index < count; index++) {
        record.length = 0;
        int capped = 0;
        if (process_record(&record, pids[index], boot, ticks, page_kib, &capped) != 0) {
            summary->vanished++;
            continue;
        }
        if (document->length + record.length + 64 > MAX_OUTPUT_BYTES) {
            summary->truncated = 1;
            break;
        }
        if (summary->items) buffer_puts(document, ",");
        buffer_append(document, record.data, record.length);
        summary->items++;
        summary->capped += (size_t)capped;
    }
    buffer_printf(document, "],\"truncated\":%s}\n", summary->truncated ? "true" : "false");
    buffer_free(&record);
    free(pids);
    return 0;
}

/* ---------- sockets ---------- */

struct inode_owner {
    unsigned long long inode;
    unsigned long pid;
};

static struct inode_owner *owners;
static size_t owner_count;

static int compare_owners(const void *left, const void *right) {
    const struct inode_owner *a = left, *b = right;
    if (a->inode != b->inode) return a->inode < b->inode ? -1 : 1;
    return a->pid < b->pid ? -1 : a->pid > b->pid;
}

/* Maps socket inodes to the lowest pid holding them, from every /proc/PID/fd link "socket:[N]". */
static void load_socket_owners(void) {
    size_t count;
    unsigned long *pids = list_pids(&count);
    if (!pids) return;
    size_t capacity = 0;
    for (size_t index = 0; index < count; index++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%lu/fd", proc_root, pids[index]);
        DIR *directory = opendir(path);
        if (!directory) continue;
        struct dirent *entry;
        while ((entry = readdir(directory)) != NULL) {
            if (entry->d_name[0] == '.') continue;
            char link[4096], target[256];
            snprintf(link, sizeof link, "%s/%s", path, entry->d_name);
            if (read_link(link, target, sizeof target) < 0 || strncmp(target, "socket:[", 8) != 0) continue;
            if (owner_count == capacity) {
                capacity = capacity ? capacity * 2 : 1024;
                struct inode_owner *grown = realloc(owners, capacity * sizeof *owners);
                if (!grown) die_oom();
                owners = grown;
            }
            owners[owner_count].inode = strtoull(target + 8, NULL, 10);
            owners[owner_count].pid = pids[index];
            owner_count++;
        }
        closedir(directory);
    }
    free(pids);
    qsort(owners, owner_count, sizeof *owners, compare_owners);
}

static long owner_of(unsigned long long inode) {
    size_t low = 0, high = owner_count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (owners[middle].inode < inode) low = middle + 1;
        else high = middle;
    }
    return low < owner_count && owners[low].inode == inode ? (long)owners[low].pid : -1;
}

static const char *tcp_state_name(unsigned state, int udp) {
    static const char *names[] = {"UNKNOWN", "ESTABLISHED", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT",
                                  "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "NEW-SYN-RECV"};
    if (udp && state == 7) return "UNCONN";
    return state < sizeof names / sizeof names[0] ? names[state] : "UNKNOWN";
}

/* Decodes "0100007F:0050" (IPv4) or 32 hex digits (IPv6), each 32-bit word in the kernel's byte order. */
static int decode_address(const char *text, int ipv6, char *address, size_t size, unsigned *port, int *all_zero) {
    const char *colon = strchr(text, ':');
    size_t digits = ipv6 ? 32 : 8;
    if (!colon || (size_t)(colon - text) != digits) return -1;
    unsigned char bytes[16];
    for (size_t word = 0; word < digits / 8; word++) {
        char hex[9];
        memcpy(hex, text + word * 8, 8);
        hex[8] = '\0';
        uint32_t value = (uint32_t)strtoul(hex, NULL, 16);
        memcpy(bytes + word * 4, &value, 4); /* the kernel printed a native-endian u32 */
    }
    *all_zero = 1;
    for (size_t index = 0; index < digits / 2; index++) {
        if (bytes[index]) *all_zero = 0;
    }
    *port = (unsigned)strtoul(colon + 1, NULL, 16);
    if (!ipv6) {
        snprintf(address, size, "%u.%u.%u.%u", bytes[0], bytes[1], bytes[2], bytes[3]);
        return 0;
    }
    /* Full IPv6 text without compression keeps this simple and unambiguous; v4-mapped shown dotted. */
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(bytes, mapped, 12) == 0) {
        snprintf(address, size, "::ffff:%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);
        return 0;
    }
    /* RFC 5952 text: the longest run (two or more) of zero groups becomes "::". */
    unsigned groups[8];
    int best_start = -1, best_length = 1;
    for (int group = 0; group < 8; group++) groups[group] = (unsigned)(bytes[group * 2] << 8 | bytes[group * 2 + 1]);
    for (int group = 0; group < 8; group++) {
        int length = 0;
        while (group + length < 8 && groups[group + length] == 0) length++;
        if (length > best_length) {
            best_start = group;
            best_length = length;
        }
    }
    size_t used = 0;
    address[0] = '\0';
    for (int group = 0; group < 8; group++) {
        if (group == best_start) {
            used += (size_t)snprintf(address + used, size - used, "::");
            group += best_length - 1;
            continue;
        }
        int after_gap = best_start >= 0 && group == best_start + best_length;
        used += (size_t)snprintf(address + used, size - used, "%s%x", group && !after_gap ? ":" : "", groups[group]);
    }
    return 0;
}

static void inet_sockets(struct buffer *document, struct summary *summary, const char *table, const char *protocol) {
    char path[4096];
    struct buffer text = {0};
    int ipv6 = strchr(protocol, '6') != NULL, udp = protocol[0] == 'u';
    snprintf(path, sizeof path, "%s/net/%s", proc_root, table);
    if (read_capped(path, MAX_SMALL_FILE, &text, NULL) != 0 || !text.data) {
        buffer_free(&text);
        return;
    }
    char *cursor = strchr(text.data, '\n'); /* skip the header */
    while (cursor && *++cursor) {
        char *end = strchr(cursor, '\n');
        if (end) *end = '\0';
        char local[64], remote[64];
        unsigned state;
        unsigned long long inode;
        if (sscanf(cursor, " %*s %63s %63s %x %*s %*s %*s %*s %*s %llu", local, remote, &state, &inode) == 4) {
            char local_text[64], remote_text[64];
            unsigned local_port, remote_port;
            int local_zero, remote_zero;
            if (decode_address(local, ipv6, local_text, sizeof local_text, &local_port, &local_zero) == 0 &&
                decode_address(remote, ipv6, remote_text, sizeof remote_text, &remote_port, &remote_zero) == 0) {
                if (summary->items) buffer_puts(document, ",");
                buffer_printf(document, "{\"protocol\":\"%s\",\"state\":\"%s\",\"localAddress\":\"%s\",\"localPort\":%u,", protocol,
                              tcp_state_name(state, udp), local_text, local_port);
                if (remote_zero && remote_port == 0) buffer_puts(document, "\"remoteAddress\":null,\"remotePort\":null");
                else buffer_printf(document, "\"remoteAddress\":\"%s\",\"remotePort\":%u", remote_text, remote_port);
                long pid = inode ? owner_of(inode) : -1;
                if (pid >= 0) buffer_printf(document, ",\"pid\":%ld", pid);
                else buffer_puts(document, ",\"pid\":null");
                if (inode) buffer_printf(document, ",\"inode\":%llu}", inode);
                else buffer_puts(document, ",\"inode\":null}");
                summary->items++;
            }
        }
        cursor = end;
    }
    buffer_free(&text);
}

static void unix_sockets(struct buffer *document, struct summary *summary) {
    char path[4096];
    struct buffer text = {0};
    snprintf(path, sizeof path, "%s/net/unix", proc_root);
    if (read_capped(path, MAX_SMALL_FILE, &text, NULL) != 0 || !text.data) {
        buffer_free(&text);
        return;
    }
    char *cursor = strchr(text.data, '\n');
    while (cursor && *++cursor) {
        char *end = strchr(cursor, '\n');
        if (end) *end = '\0';
        unsigned long flags;
        unsigned type, state;
        unsigned long long inode;
        int path_offset = 0;
        if (sscanf(cursor, "%*s %*s %*s %lx %x %x %llu%n", &flags, &type, &state, &inode, &path_offset) == 4) {
            const char *name = cursor + path_offset;
            if (*name == ' ') name++;
            const char *state_name = (flags & 0x10000) ? "LISTEN" : state == 3 ? "ESTABLISHED" : state == 1 ? "UNCONN" : "UNKNOWN";
            if (summary->items) buffer_puts(document, ",");
            buffer_printf(document, "{\"protocol\":\"unix\",\"state\":\"%s\",\"localAddress\":", state_name);
            json_guest_cstring(document, name);
            buffer_puts(document, ",\"localPort\":null,\"remoteAddress\":null,\"remotePort\":null");
            long pid = owner_of(inode);
            if (pid >= 0) buffer_printf(document, ",\"pid\":%ld", pid);
            else buffer_puts(document, ",\"pid\":null");
            buffer_printf(document, ",\"inode\":%llu}", inode);
            summary->items++;
        }
        cursor = end;
    }
    buffer_free(&text);
}

static int collect_sockets(struct buffer *document, struct summary *summary) {
    char path[4096];
    struct stat info;
    proc_path(path, sizeof path, "net");
    if (stat(path, &info) != 0) return -1;
    load_socket_owners();
    buffer_puts(document, "{\"schemaVersion\":1,\"capturedAt\":");
    json_utc(document, now_seconds());
    buffer_puts(document, ",\"sockets\":[");
    inet_sockets(document, summary, "tcp", "tcp");
    inet_sockets(document, summary, "tcp6", "tcp6");
    inet_sockets(document, summary, "udp", "udp");
    inet_sockets(document, summary, "udp6", "udp6");
    unix_sockets(document, summary);
    buffer_puts(document, "]}\n");
    return 0;
}

/* ---------- system facts ---------- */

static void json_file_text(struct buffer *out, const char *path, size_t cap, int strip_newline) {
    struct buffer text = {0};
    if (read_capped(path, cap, &text, NULL) != 0 || !text.data) {
        buffer_puts(out, "null");
        buffer_free(&text);
        return;
    }
    size_t length = text.length;
    while (strip_newline && length > 0 && text.data[length - 1] == '\n') length--;
    json_guest_string(out, text.data, length);
    buffer_free(&text);
}

static void json_kernel(struct buffer *out, double boot) {
    char path[4096];
    struct buffer text = {0};
    buffer_puts(out, "\"kernel\":{\"banner\":");
    proc_path(path, sizeof path, "version");
    json_file_text(out, path, 4096, 1);
    buffer_puts(out, ",\"release\":");
    proc_path(path, sizeof path, "sys/kernel/osrelease");
    json_file_text(out, path, 256, 1);
    unsigned long long tainted = 0;
    proc_path(path, sizeof path, "sys/kernel/tainted");
    if (read_capped(path, 64, &text, NULL) == 0 && text.data) tainted = strtoull(text.data, NULL, 10);
    /* Letters as the kernel's own taint table prints them (Documentation/admin-guide/tainted-kernels.rst). */
    static const char letters[] = "PFSRMBUDAWCIOELKXTN";
    buffer_printf(out, ",\"tainted\":%llu,\"taintFlags\":[", tainted);
    int written = 0;
    for (int bit = 0; bit < (int)sizeof letters - 1; bit++) {
        if (tainted & (1ULL << bit)) buffer_printf(out, "%s\"%c\"", written++ ? "," : "", letters[bit]);
    }
    buffer_puts(out, "],\"uptimeSeconds\":");
    proc_path(path, sizeof path, "uptime");
    if (read_capped(path, 256, &text, NULL) == 0 && text.data) buffer_printf(out, "%.2f", strtod(text.data, NULL));
    else buffer_puts(out, "null");
    buffer_puts(out, ",\"bootedAt\":");
    if (boot >= 0) json_utc(out, boot);
    else buffer_puts(out, "null");
    buffer_puts(out, "}");
    buffer_free(&text);
}

static void json_modules(struct buffer *out) {
    char path[4096];
    struct buffer text = {0};
    buffer_puts(out, "\"modules\":[");
    proc_path(path, sizeof path, "modules");
    if (read_capped(path, MAX_SMALL_FILE, &text, NULL) == 0 && text.data) {
        char *cursor = text.data;
        int written = 0;
        while (*cursor) {
            char *end = strchr(cursor, '\n');
            if (end) *end = '\0';
            char name[256], dependencies[4096], state[32];
            unsigned long long size;
            unsigned long instances;
            int rest = 0;
            if (sscanf(cursor, "%255s %llu %lu %4095s %31s %*s%n", name, &size, &instances, dependencies, state, &rest) >= 5) {
                buffer_puts(out, written++ ? "," : "");
                buffer_puts(out, "{\"name\":");
                json_guest_cstring(out, name);
                buffer_printf(out, ",\"size\":%llu,\"instances\":%lu,\"dependencies\":[", size, instances);
                int dependency_count = 0;
                for (char *dependency = strtok(dependencies, ","); dependency; dependency = strtok(NULL, ",")) {
                    if (strcmp(dependency, "-") == 0) continue;
                    buffer_puts(out, dependency_count++ ? "," : "");
                    json_guest_cstring(out, dependency);
                }
                buffer_puts(out, "],\"state\":");
                json_guest_cstring(out, state);
                const char *taints = rest ? cursor + rest : "";
                while (*taints == ' ') taints++;
                buffer_puts(out, ",\"taints\":");
                json_guest_cstring(out, taints);
                buffer_puts(out, "}");
            }
            if (!end) break;
            cursor = end + 1;
        }
    }
    buffer_puts(out, "]");
    buffer_free(&text);
}

/* Decodes the \NNN octal escapes the kernel uses for spaces and odd bytes in mount fields. */
static size_t unescape_octal(char *text) {
    size_t read_at = 0, write_at = 0;
    while (text[read_at]) {
        if (text[read_at] == '\\' && text[read_at + 1] >= '0' && text[read_at + 1] <= '3' && text[read_at + 2] >= '0' &&
            text[read_at + 2] <= '7' && text[read_at + 3] >= '0' && text[read_at + 3] <= '7') {
            text[write_at++] = (char)((text[read_at + 1] - '0') * 64 + (text[read_at + 2] - '0') * 8 + (text[read_at + 3] - '0'));
            read_at += 4;
        } else {
            text[write_at++] = text[read_at++];
        }
    }
    text[write_at] = '\0';
    return write_at;
}

static void json_mounts(struct buffer *out) {
    char path[4096];
    struct buffer text = {0};
    buffer_puts(out, "\"mounts\":[");
    /* PID 1's view: the collector itself may sit in a private mount of the toolkit tmpfs. */
    proc_path(path, sizeof path, "1/mounts");
    if (read_capped(path, MAX_SMALL_FILE, &text, NULL) == 0 && text.data) {
        char *cursor = text.data;
        int written = 0;
        while (*cursor) {
            char *end = strchr(cursor, '\n');
            if (end) *end = '\0';
            char *fields[4];
            int count = 0;
            for (char *field = strtok(cursor, " "); field && count < 4; field = strtok(NULL, " ")) fields[count++] = field;
            if (count == 4) {
                const char *keys[4] = {"source", "target", "fsType", "options"};
                buffer_puts(out, written++ ? ",{" : "{");
                for (int index = 0; index < 4; index++) {
                    size_t length = unescape_octal(fields[index]);
                    buffer_printf(out, "%s\"%s\":", index ? "," : "", keys[index]);
                    json_guest_string(out, fields[index], length);
                }
                buffer_puts(out, "}");
            }
            if (!end) break;
            cursor = end + 1;
        }
    }
    buffer_puts(out, "]");
    buffer_free(&text);
}

static void json_preload(struct buffer *out) {
    char path[4096];
    struct buffer text = {0};
    int truncated = 0;
    path_join(path, sizeof path, fs_root, "/etc/ld.so.preload");
    buffer_puts(out, "\"ldSoPreload\":");
    if (read_capped(path, MAX_PRELOAD_BYTES, &text, &truncated) != 0) {
        buffer_puts(out, errno == ENOENT ? "{\"present\":false,\"content\":null,\"truncated\":false}" : "{\"present\":true,\"content\":null,\"truncated\":false}");
    } else {
        buffer_puts(out, "{\"present\":true,\"content\":");
        json_guest_string(out, text.data ? text.data : "", text.length);
        buffer_printf(out, ",\"truncated\":%s}", truncated ? "true" : "false");
    }
    buffer_free(&text);
}

static void json_logins(struct buffer *out) {
    char path[4096];
    struct buffer text = {0};
    buffer_puts(out, "\"logins\":[");
    path_join(path, sizeof path, fs_root, "/var/run/utmp");
    if (read_capped(path, MAX_SMALL_FILE, &text, NULL) != 0) {
        path_join(path, sizeof path, fs_root, "/run/utmp");
        read_capped(path, MAX_SMALL_FILE, &text, NULL);
    }
    int written = 0;
    for (size_t offset = 0; text.data && offset + sizeof(struct utmp) <= text.length; offset += sizeof(struct utmp)) {
        struct utmp record;
        memcpy(&record, text.data + offset, sizeof record);
        if (record.ut_type != USER_PROCESS) continue;
        buffer_puts(out, written++ ? ",{\"user\":" : "{\"user\":");
        json_guest_string(out, record.ut_user, strnlen(record.ut_user, sizeof record.ut_user));
        buffer_puts(out, ",\"line\":");
        json_guest_string(out, record.ut_line, strnlen(record.ut_line, sizeof record.ut_line));
        buffer_puts(out, ",\"host\":");
        json_guest_string(out, record.ut_host, strnlen(record.ut_host, sizeof record.ut_host));
        buffer_printf(out, ",\"pid\":%d,\"loginAt\":", record.ut_pid > 0 ? record.ut_pid : 0);
        if (record.ut_tv.tv_sec > 0) json_utc(out, (double)record.ut_tv.tv_sec);
        else buffer_puts(out, "null");
        buffer_puts(out, "}");
    }
    buffer_puts(out, "]");
    buffer_free(&text);
}

struct persistence {
    struct buffer *out;
    size_t files;
    int truncated;
};

static void persistence_entry(struct persistence *state, const char *guest_path) {
    char path[4096];
    struct stat info;
    if (state->files >= MAX_PERSISTENCE_FILES) {
        state->truncated = 1;
        return;
    }
    path_join(path, sizeof path, fs_root, guest_path);
    /* lstat: a link in /etc/systemd/system is recorded as a link, never followed into the guest's tree. */
    if (lstat(path, &info) != 0) return;
    struct buffer *out = state->out;
    buffer_puts(out, state->files++ ? ",{\"path\":" : "{\"path\":");
    json_guest_cstring(out, guest_path);
    const char *type = S_ISREG(info.st_mode) ? "file" : S_ISDIR(info.st_mode) ? "directory" : S_ISLNK(info.st_mode) ? "symlink" : "other";
    buffer_printf(out, ",\"type\":\"%s\",\"size\":%lld,\"mode\":%u,\"uid\":%u,\"mtime\":", type, (long long)info.st_size,
                  (unsigned)(info.st_mode & 07777), (unsigned)info.st_uid);
    if (info.st_mtime > 0) json_utc(out, (double)info.st_mtime);
    else buffer_puts(out, "null");
    buffer_puts(out, ",\"sha256\":");
    int hashed = 0;
    if (S_ISREG(info.st_mode) && info.st_size <= MAX_HASHED_FILE) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) {
            struct sha256 context;
            unsigned char chunk[65536];
            ssize_t got;
            sha256_init(&context);
            while ((got = read(fd, chunk, sizeof chunk)) > 0) sha256_update(&context, chunk, (size_t)got);
            close(fd);
            if (got == 0) {
                char hex[65];
                sha256_hex(&context, hex);
                buffer_printf(out, "\"%s\"", hex);
                hashed = 1;
            }
        }
    }
    if (!hashed) buffer_puts(out, "null");
    buffer_puts(out, ",\"linkTarget\":");
    char target[MAX_LINK_BYTES];
    ssize_t length = S_ISLNK(info.st_mode) ? read_link(path, target, sizeof target) : -1;
    if (length >= 0) json_guest_string(out, target, (size_t)length);
    else buffer_puts(out, "null");
    buffer_puts(out, "}");
}

static int compare_names(const void *left, const void *right) {
    return strcmp(*(char *const *)left, *(char *const *)right);
}

/* Lists a guest folder's entries (sorted, capped), descending into real subfolders up to `depth`. */
static void persistence_walk(struct persistence *state, const char *guest_dir, int depth) {
    char path[4096];
    path_join(path, sizeof path, fs_root, guest_dir);
    struct stat info;
    if (lstat(path, &info) != 0 || !S_ISDIR(info.st_mode)) return;
    DIR *directory = opendir(path);
    if (!directory) return;
    char **names = NULL;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        if (count == MAX_FILES_PER_DIR) {
            state->truncated = 1;
            break;
        }
        char **grown = realloc(names, (count + 1) * sizeof *names);
        if (!grown) die_oom();
        names = grown;
        names[count] = strdup(entry->d_name);
        if (!names[count]) die_oom();
        count++;
    }
    closedir(directory);
    qsort(names, count, sizeof *names, compare_names);
    for (size_t index = 0; index < count; index++) {
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", guest_dir, names[index]);
        persistence_entry(state, child);
        char child_path[4096];
        path_join(child_path, sizeof child_path, fs_root, child);
        if (depth > 0 && lstat(child_path, &info) == 0 && S_ISDIR(info.st_mode)) persistence_walk(state, child, depth - 1);
        free(names[index]);
    }
    free(names);
}

static void json_persistence(struct buffer *out) {
    static const char *single_files[] = {"/etc/crontab", "/etc/rc.local", "/etc/ld.so.preload", "/etc/profile",
                                         "/etc/bash.bashrc", "/root/.bashrc", "/root/.profile", "/root/.ssh/authorized_keys"};
    static const char *folders[] = {"/etc/cron.d", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly",
                                    "/var/spool/cron", "/etc/systemd/system", "/etc/init.d", "/etc/profile.d",
                                    "/etc/update-motd.d", "/root/.config/systemd/user"};
    struct persistence state = {out, 0, 0};
    buffer_puts(out, "\"persistence\":[");
    for (size_t index = 0; index < sizeof single_files / sizeof single_files[0]; index++) persistence_entry(&state, single_files[index]);
    for (size_t index = 0; index < sizeof folders / sizeof folders[0]; index++) persistence_walk(&state, folders[index], 2);
    /* Per-user locations under /home. */
    char home[4096];
    path_join(home, sizeof home, fs_root, "/home");
    DIR *directory = opendir(home);
    if (directory) {
        struct dirent *entry;
        size_t users_seen = 0;
        while ((entry = readdir(directory)) != NULL && users_seen < MAX_FILES_PER_DIR) {
            if (entry->d_name[0] == '.') continue;
            users_seen++;
            char guest[4096];
            snprintf(guest, sizeof guest, "/home/%s/.ssh/authorized_keys", entry->d_name);
            persistence_entry(&state, guest);
            snprintf(guest, sizeof guest, "/home/%s/.config/systemd/user", entry->d_name);
            persistence_walk(&state, guest, 2);
        }
        closedir(directory);
    }
    buffer_printf(out, "],\"persistenceTruncated\":%s", state.truncated ? "true" : "false");
}

static int collect_system(struct buffer *document, struct summary *summary) {
    char path[4096];
    struct stat info;
    proc_path(path, sizeof path, "version");
    if (stat(path, &info) != 0) return -1;
    double boot = boot_time_seconds();
    buffer_puts(document, "{\"schemaVersion\":1,\"capturedAt\":");
    json_utc(document, now_seconds());
    buffer_puts(document, ",");
    json_kernel(document, boot);
    buffer_puts(document, ",");
    json_modules(document);
    buffer_puts(document, ",");
    json_mounts(document);
    buffer_puts(document, ",");
    json_preload(document);
    buffer_puts(document, ",");
    json_logins(document);
    buffer_puts(document, ",");
    json_persistence(document);
    buffer_puts(document, "}\n");
    summary->items = 1;
    return 0;
}

/* ---------- main ---------- */

static int write_document(const char *path, const struct buffer *document) {
    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.partial", path);
    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return -1;
    size_t written = 0;
    while (written < document->length) {
        ssize_t done = write(fd, document->data + written, document->length - written);
        if (done < 0) {
            if (errno == EINTR) continue;
            close(fd);
            unlink(temporary);
            return -1;
        }
        written += (size_t)done;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(temporary, path) != 0) {
        unlink(temporary);
        return -1;
    }
    return 0;
}

static int usage(void) {
    fputs("usage: civic-collect [--proc-root DIR] [--fs-root DIR] [--now SECONDS] -o FILE processes|sockets|system\n", stderr);
    return 2;
}

int main(int argc, char **argv) {
    const char *output = NULL, *what = NULL;
    for (int index = 1; index < argc; index++) {
        const char *argument = argv[index];
        if (strcmp(argument, "-o") == 0 && index + 1 < argc) output = argv[++index];
        else if (strcmp(argument, "--proc-root") == 0 && index + 1 < argc) proc_root = argv[++index];
        else if (strcmp(argument, "--fs-root") == 0 && index + 1 < argc) fs_root = argv[++index];
        else if (strcmp(argument, "--now") == 0 && index + 1 < argc) now_override = strtod(argv[++index], NULL);
        else if (argument[0] != '-' && !what) what = argument;
        else return usage();
    }
    if (!output || !what) return usage();
    struct buffer document = {0};
    struct summary summary = {0, 0, 0, 0};
    int status;
    if (strcmp(what, "processes") == 0) status = collect_processes(&document, &summary);
    else if (strcmp(what, "sockets") == 0) status = collect_sockets(&document, &summary);
    else if (strcmp(what, "system") == 0) status = collect_system(&document, &summary);
    else return usage();
    if (status != 0) {
        fprintf(stderr, "civic-collect: %s: cannot read %s: %s\n", what, proc_root, strerror(errno));
        return 3;
    }
    if (write_document(output, &document) != 0) {
        fprintf(stderr, "civic-collect: %s: cannot write %s: %s\n", what, output, strerror(errno));
        return 3;
    }
    fprintf(stderr, "civic-collect: %s: %zu items, %zu vanished, %zu capped, %zu bytes%s\n", what, summary.items,
            summary.vanished, summary.capped, document.length, summary.truncated ? ", truncated at the output cap" : "");
    buffer_free(&document);
    return summary.truncated ? 1 : 0;
}
