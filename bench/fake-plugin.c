/*
 * A tiny CNI plugin for the benchmarks: it reads its whole stdin (as real plugins do), then
 *   ADD      prints a fixed 1.0.0 result (one interface, one address),
 *   VERSION  prints the versions it speaks,
 *   others   print nothing and succeed.
 * Built static by the benchmark so that its own start-up cost is as small as it gets.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char ADD_RESULT[] =
    "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/var/run/netns/bench\"}],"
    "\"ips\":[{\"address\":\"192.0.2.10/24\",\"gateway\":\"192.0.2.1\",\"interface\":0}],\"dns\":{}}\n";

static const char VERSION_RESULT[] =
    "{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.1.0\",\"0.2.0\",\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\"]}\n";

static void put(const char *text, size_t size) {
    while (size > 0) {
        ssize_t n = write(1, text, size);
        if (n <= 0) exit(2);
        text += n;
        size -= (size_t)n;
    }
}

int main(void) {
    char buffer[65536];
    while (read(0, buffer, sizeof buffer) > 0) {
    }
    const char *command = getenv("CNI_COMMAND");
    if (command == NULL) command = "";
    if (strcmp(command, "ADD") == 0) put(ADD_RESULT, sizeof ADD_RESULT - 1);
    else if (strcmp(command, "VERSION") == 0) put(VERSION_RESULT, sizeof VERSION_RESULT - 1);
    return 0;
}
