export const HELP = `cnitool: run CNI plugins for a network namespace

Usage:
  cnitool add   <network> <netns-path>   attach the namespace; prints the result as JSON
  cnitool check <network> <netns-path>   check an attachment against its cached result
  cnitool del   <network> <netns-path>   detach; uses the cached result and arguments
  cnitool status <network>               ask the network's 1.1.0 plugins whether they are ready
  cnitool gc <network> [<netns-path>]    delete every cached attachment of the network, then
                                         send GC to its 1.1.0 plugins (as the Go tool does)
  cnitool version <plugin-type>          ask a plugin which spec versions it supports

Environment (as the Go cnitool reads it):
  NETCONFPATH   directory of .conflist/.conf/.json files   (default /etc/cni/net.d)
  CNI_PATH      plugin directories, separated by ':'
  CNI_IFNAME    interface name in the namespace             (default eth0)
  CNI_ARGS      K=V;K2=V2 passed to plugins as CNI_ARGS
  CAP_ARGS      JSON object of capability arguments, e.g. {"portMappings":[...]}
  CNI_CACHE_DIR result cache directory                      (default /var/lib/cni)

Options:
  -i, --ifname NAME        interface name (overrides CNI_IFNAME)
      --cache-dir DIR      result cache directory (overrides CNI_CACHE_DIR)
      --container-id ID    container ID (default: cnitool- + 20 hex digits of the
                           SHA-512 of the absolute netns path, like the Go tool)
      --timeout MS         time limit for each plugin run (default 60000)
  -v, --verbose            print each plugin run to stderr
  -h, --help               this text

Exit status: 0 on success; 1 with a one-line message on stderr otherwise.
`;
