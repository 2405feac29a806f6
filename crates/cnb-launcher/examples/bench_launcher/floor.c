/* The floor under the launcher's start-to-exec, for `make bench-launcher`: a minimal static C
 * program that does only what any launcher must, then execs the target.
 *
 *   floor - <target> <args>...                   exec only: the cost of a second execve
 *   floor <layers> <app> <bp> <target> <args>... first the launcher's unavoidable I/O for the
 *       bench fixture: read <layers>/config/metadata.toml, list <layers>/<bp>, and in each of
 *       its layers probe bin/ and lib/, read every file in env/ and env.launch/, probe
 *       env.launch/web/, exec.d/ and exec.d/web/; stat the target, chdir to <app>.
 *
 * No TOML parsing, no environment engine, no allocation beyond opendir's: a lower bound. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static char contents[65536];

static void read_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)read(fd, contents, sizeof contents);
        close(fd);
    }
}

static void for_each(const char *dir, void (*each)(const char *dir, const char *name)) {
    DIR *listing = opendir(dir);
    if (!listing)
        return;
    struct dirent *entry;
    while ((entry = readdir(listing)))
        if (entry->d_name[0] != '.' && each)
            each(dir, entry->d_name);
    closedir(listing);
}

static void env_file(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    read_file(path);
}

static void layer(const char *dir, const char *name) {
    static const char *probed[] = {"bin", "lib"};
    static const char *env_dirs[] = {"env", "env.launch"};
    static const char *listed[] = {"env.launch/web", "exec.d", "exec.d/web"};
    char path[4096];
    struct stat st;
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s/%s", dir, name, probed[i]);
        (void)stat(path, &st);
    }
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s/%s", dir, name, env_dirs[i]);
        for_each(path, env_file);
    }
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s/%s", dir, name, listed[i]);
        for_each(path, NULL);
    }
}

int main(int argc, char **argv) {
    char **target = argv + 2;
    if (argc > 1 && strcmp(argv[1], "-") != 0) {
        if (argc < 5)
            return 2;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/config/metadata.toml", argv[1]);
        read_file(path);
        snprintf(path, sizeof path, "%s/%s", argv[1], argv[3]);
        for_each(path, layer);
        (void)stat(argv[4], &st);
        if (chdir(argv[2]) != 0)
            return 2;
        target = argv + 4;
    } else if (argc < 3) {
        return 2;
    }
    execve(target[0], target, environ);
    return 127;
}
