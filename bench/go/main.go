// Command cnibench is the Go side of the libcni benchmarks: it times the reference Go library
// (github.com/containernetworking/cni/libcni) on the same inputs the Node side uses, inside one
// long-lived process, so that the Node driver can interleave rounds of both.
//
// It reads one JSON request per line on stdin and answers each with one JSON line on stdout:
//
//	{"op":"chain","conflist":"/d/bench.conflist","cniPath":["/d/bin"],"cacheDir":"/d/cache",
//	 "netns":"/var/run/netns/x","ifName":"eth0","idPrefix":"go-r3","count":20}
//	    -> {"ok":true,"ms":[...]}   one sample per ADD + DEL of the list
//	{"op":"load","dir":"/d/confs","name":"net-0999","count":5}
//	    -> {"ok":true,"ms":[...]}   one sample per LoadConfList(dir, name)
//
// Errors come back as {"ok":false,"error":"..."}. End of input ends the program.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/containernetworking/cni/libcni"
)

type request struct {
	Op       string   `json:"op"`
	Conflist string   `json:"conflist"`
	CNIPath  []string `json:"cniPath"`
	CacheDir string   `json:"cacheDir"`
	NetNS    string   `json:"netns"`
	IfName   string   `json:"ifName"`
	IDPrefix string   `json:"idPrefix"`
	Count    int      `json:"count"`
	Dir      string   `json:"dir"`
	Name     string   `json:"name"`
}

type reply struct {
	OK    bool      `json:"ok"`
	MS    []float64 `json:"ms,omitempty"`
	Error string    `json:"error,omitempty"`
}

func millis(d time.Duration) float64 {
	return float64(d.Nanoseconds()) / 1e6
}

// chain times ADD followed by DEL of one attachment, count times, each with its own container ID.
func chain(req request) ([]float64, error) {
	list, err := libcni.ConfListFromFile(req.Conflist)
	if err != nil {
		return nil, err
	}
	cni := libcni.NewCNIConfigWithCacheDir(req.CNIPath, req.CacheDir, nil)
	ctx := context.Background()
	samples := make([]float64, 0, req.Count)
	for i := 0; i < req.Count; i++ {
		rt := &libcni.RuntimeConf{
			ContainerID: fmt.Sprintf("%s-%d", req.IDPrefix, i),
			NetNS:       req.NetNS,
			IfName:      req.IfName,
		}
		start := time.Now()
		if _, err := cni.AddNetworkList(ctx, list, rt); err != nil {
			return nil, fmt.Errorf("ADD %s: %w", rt.ContainerID, err)
		}
		if err := cni.DelNetworkList(ctx, list, rt); err != nil {
			return nil, fmt.Errorf("DEL %s: %w", rt.ContainerID, err)
		}
		samples = append(samples, millis(time.Since(start)))
	}
	return samples, nil
}

// load times finding one network in a config directory.
func load(req request) ([]float64, error) {
	samples := make([]float64, 0, req.Count)
	for i := 0; i < req.Count; i++ {
		start := time.Now()
		list, err := libcni.LoadConfList(req.Dir, req.Name)
		if err != nil {
			return nil, err
		}
		elapsed := time.Since(start)
		if list.Name != req.Name {
			return nil, fmt.Errorf("found %q, wanted %q", list.Name, req.Name)
		}
		samples = append(samples, millis(elapsed))
	}
	return samples, nil
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 1024*1024)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		var samples []float64
		err := json.Unmarshal(in.Bytes(), &req)
		if err == nil {
			switch req.Op {
			case "chain":
				samples, err = chain(req)
			case "load":
				samples, err = load(req)
			default:
				err = fmt.Errorf("unknown op %q", req.Op)
			}
		}
		answer := reply{OK: err == nil, MS: samples}
		if err != nil {
			answer.Error = err.Error()
		}
		if encodeErr := out.Encode(answer); encodeErr != nil {
			os.Exit(1)
		}
	}
}
