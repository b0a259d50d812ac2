#!/usr/bin/env python3
"""
kubeplay TEST STAND-IN for kubeadm, kubectl, kubelet and etcdctl. Never shipped; installed by the
lab tests into /usr/local/bin on lab hosts (which cannot install Kubernetes). It proves orchestration
only: which command ran on which host, in which order, with which flags, and that the files the real
tools create appear where later steps look for them. It runs no API server, no etcd, no kubelet, no
network. Every call is appended to /var/log/kubeplay-standin.log as
"<iso time> <host> <tool> <argv...>" (argv verbatim: the log is root-only test evidence).
"""
import datetime, hashlib, json, os, secrets, socket, sys, time

STATE = '/var/lib/kubeplay-standin'
LOG = '/var/log/kubeplay-standin.log'
K8S = '/etc/kubernetes'


def log(tool, argv):
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    with open(LOG, 'a') as f:
        f.write('%s %s %s %s\n' % (datetime.datetime.now().isoformat(timespec='milliseconds'), socket.gethostname(), tool, ' '.join(argv)))


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def die(msg, code=1):
    sys.stderr.write(msg + '\n')
    sys.exit(code)


def flag(argv, name):
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + '='):
            return a[len(name) + 1:]
    return None


def tools_version():
    return read(STATE + '/version', '1.31.4')


def ca_hash():
    return hashlib.sha256((read(K8S + '/pki/ca.crt', '') or '').encode()).hexdigest()


def control_plane_files(endpoint):
    fake = lambda what: '# kubeplay stand-in: not a real %s\n' % what
    for name in ['ca', 'front-proxy-ca', 'sa', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-client']:
        if not os.path.exists('%s/pki/%s.crt' % (K8S, name)) or name != 'ca':
            write('%s/pki/%s.crt' % (K8S, name), fake('certificate') + secrets.token_hex(16) + '\n')
        write('%s/pki/%s.key' % (K8S, name), fake('key'), 0o600)
    for name in ['ca', 'server', 'peer', 'healthcheck-client']:
        write('%s/pki/etcd/%s.crt' % (K8S, name), fake('etcd certificate'))
        write('%s/pki/etcd/%s.key' % (K8S, name), fake('etcd key'), 0o600)
    for comp in ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd']:
        static_pod(comp, tools_version())
    for conf in ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf']:
        write('%s/%s' % (K8S, conf), 'apiVersion: v1\nkind: Config\n# kubeplay stand-in kubeconfig for https://%s\nclusters: []\n' % endpoint, 0o600)


def static_pod(comp, version):
    image = 'registry.k8s.io/etcd:3.5.15-0' if comp == 'etcd' else 'registry.k8s.io/%s:v%s' % (comp, version)
    write('%s/manifests/%s.yaml' % (K8S, comp), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: kube-system\n  annotations:\n    kubeplay-standin: "not a real static pod"\nspec:\n  containers:\n  - name: %s\n    image: %s\n' % (comp, comp, image), 0o600)


def kubelet_conf(endpoint):
    write(K8S + '/kubelet.conf', 'apiVersion: v1\nkind: Config\n# kubeplay stand-in kubelet kubeconfig for https://%s\n' % endpoint, 0o600)
    write('/var/lib/kubelet/config.yaml', 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n')
    write(STATE + '/node-version', tools_version())


def kubeadm(argv):
    args = [a for a in argv if not a.startswith('--v=')]
    if args[:1] == ['version']:
        v = tools_version()
        print('v' + v if flag(args, '-o') == 'short' else 'kubeadm version: &version.Info{GitVersion:"v%s"}' % v)
        return
    if args[:1] == ['init'] and 'phase' not in args:
        cfg = flag(args, '--config')
        if os.path.exists(K8S + '/admin.conf'):
            die('[preflight] Some fatal errors occurred:\n\t[ERROR FileAvailable--etc-kubernetes-admin.conf]: /etc/kubernetes/admin.conf already exists')
        if not cfg or not os.path.exists(cfg):
            die('unable to read config from "%s"' % cfg)
        text = read(cfg)
        want = 'kubernetesVersion: v' + tools_version()
        if want not in text:
            die('this version of kubeadm (v%s) does not match kubernetesVersion in %s' % (tools_version(), cfg))
        endpoint = next((l.split(':', 1)[1].strip() for l in text.splitlines() if l.strip().startswith('controlPlaneEndpoint:')), 'localhost:6443')
        control_plane_files(endpoint)
        kubelet_conf(endpoint)
        write(STATE + '/cluster.json', json.dumps({'endpoint': endpoint, 'version': tools_version(), 'initialisedBy': socket.gethostname()}))
        print('[init] Using Kubernetes version: v%s\n[certs] Using certificateDir folder "/etc/kubernetes/pki"\nYour Kubernetes control-plane has initialized successfully!' % tools_version())
        if '--skip-token-print' not in args:
            print('kubeadm join %s --token %s --discovery-token-ca-cert-hash sha256:%s' % (endpoint, new_token(), ca_hash()))
        if '--upload-certs' in args and '--skip-certificate-key-print' not in args:
            print('--certificate-key %s' % new_key())
        return
    if args[:4] == ['init', 'phase', 'upload-certs', '--upload-certs']:
        need_cluster()
        print('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n' + new_key())
        return
    if args[:2] == ['token', 'create']:
        need_cluster()
        c = json.loads(read(STATE + '/cluster.json'))
        if '--print-join-command' in args:
            print('kubeadm join %s --token %s --discovery-token-ca-cert-hash sha256:%s ' % (c['endpoint'], new_token(), ca_hash()))
        else:
            print(new_token())
        return
    if args[:1] == ['join']:
        endpoint = args[1] if len(args) > 1 else ''
        token = flag(args, '--token') or ''
        h = flag(args, '--discovery-token-ca-cert-hash') or ''
        if os.path.exists(K8S + '/kubelet.conf'):
            die('[preflight] Some fatal errors occurred:\n\t[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists')
        import re
        if not re.match(r'^[a-z0-9]{6}\.[a-z0-9]{16}$', token) or not re.match(r'^sha256:[a-f0-9]{64}$', h) or ':' not in endpoint:
            die('discovery: invalid token, endpoint or CA hash')
        if '--control-plane' in args:
            key = flag(args, '--certificate-key') or ''
            if not re.match(r'^[a-f0-9]{64}$', key):
                die('--certificate-key: expected 64 hex digits')
            control_plane_files(endpoint)
        kubelet_conf(endpoint)
        print('This node has joined the cluster%s.' % (' and a new control plane instance was created' if '--control-plane' in args else ''))
        return
    if args[:2] == ['upgrade', 'plan']:
        need_cluster()
        print('Upgrade to the latest version in the v%s series: kubeadm upgrade apply v%s' % (tools_version(), tools_version()))
        return
    if args[:2] == ['upgrade', 'apply']:
        need_cluster()
        target = args[2].lstrip('v') if len(args) > 2 else ''
        if target != tools_version():
            die('[upgrade/version] FATAL: the specified version to upgrade to "v%s" is higher than the kubeadm version "v%s"' % (target, tools_version()))
        c = json.loads(read(STATE + '/cluster.json'))
        c['version'] = target
        write(STATE + '/cluster.json', json.dumps(c))
        write(STATE + '/control-plane-version', target)
        for comp in ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']:
            static_pod(comp, target)
        print('[upgrade/successful] SUCCESS! Your cluster was upgraded to "v%s". Enjoy!' % target)
        return
    if args[:2] == ['upgrade', 'node']:
        if not os.path.exists(K8S + '/kubelet.conf'):
            die('kubelet.conf not found: this node has not joined a cluster')
        if os.path.exists(K8S + '/manifests/kube-apiserver.yaml'):
            write(STATE + '/control-plane-version', tools_version())
            for comp in ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']:
                static_pod(comp, tools_version())
        write(STATE + '/node-version', tools_version())
        print('[upgrade] The configuration for this node was successfully updated!')
        return
    if args[:3] == ['certs', 'renew', 'all']:
        need_cluster()
        write(STATE + '/certs-renewed', datetime.datetime.now().isoformat())
        print('Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.')
        return
    if args[:2] == ['certs', 'check-expiration']:
        print('CERTIFICATE   EXPIRES   RESIDUAL TIME\nadmin.conf    (stand-in) 364d')
        return
    if args[:1] == ['reset']:
        for root, dirs, files in os.walk(K8S, topdown=False):
            for f in files:
                os.remove(os.path.join(root, f))
        for f in ['cluster.json', 'node-version', 'control-plane-version', 'tokens', 'keys']:
            try:
                os.remove(STATE + '/' + f)
            except FileNotFoundError:
                pass
        print('[reset] Deleted contents of the etc directories: [/etc/kubernetes/manifests /etc/kubernetes/pki]')
        return
    die('kubeplay stand-in kubeadm: unsupported arguments: %s' % ' '.join(args), 2)


def need_cluster():
    if not os.path.exists(K8S + '/admin.conf') or not os.path.exists(STATE + '/cluster.json'):
        die('failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory')


def new_token():
    alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
    t = ''.join(secrets.choice(alphabet) for _ in range(6)) + '.' + ''.join(secrets.choice(alphabet) for _ in range(16))
    with open(STATE + '/tokens', 'a') as f:
        f.write(t + '\n')
    return t


def new_key():
    k = secrets.token_hex(32)
    os.makedirs(STATE, exist_ok=True)
    with open(STATE + '/keys', 'a') as f:
        f.write(k + '\n')
    return k


def kubectl(argv):
    args = []
    skip = False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a.startswith('--kubeconfig=') or a.startswith('--request-timeout='):
            continue
        if a in ('--kubeconfig', '-n', '--namespace'):
            skip = True
            continue
        args.append(a)
    verb = args[0] if args else ''
    if verb == 'version':
        print('Client Version: v' + tools_version())
        return
    if verb in ('diff', 'apply'):
        f = flag(args, '-f')
        data = sys.stdin.read() if f == '-' else read(f, None)
        if data is None:
            die('error: the path "%s" does not exist' % f)
        digest = hashlib.sha256(data.encode()).hexdigest()
        store = STATE + '/applied'
        os.makedirs(store, exist_ok=True)
        if verb == 'diff':
            if os.path.exists(store + '/' + digest):
                return
            print('diff -u -N /tmp/LIVE-1/v1.ConfigMap.standin /tmp/MERGED-1/v1.ConfigMap.standin\n--- /tmp/LIVE-1/v1.ConfigMap.standin\n+++ /tmp/MERGED-1/v1.ConfigMap.standin\n@@ -0,0 +1 @@\n+# stand-in: manifest %s not applied yet' % digest[:12])
            sys.exit(1)
        write(store + '/' + digest, data)
        print('stand-in: manifest %s applied (serverside-applied)' % digest[:12])
        return
    if verb == 'drain' or verb == 'cordon':
        os.makedirs(STATE + '/cordoned', exist_ok=True)
        write(STATE + '/cordoned/' + args[1], '1')
        print('node/%s %s' % (args[1], 'drained' if verb == 'drain' else 'cordoned'))
        return
    if verb == 'uncordon':
        try:
            os.remove(STATE + '/cordoned/' + args[1])
        except FileNotFoundError:
            pass
        print('node/%s uncordoned' % args[1])
        return
    if verb in ('wait', 'rollout'):
        print('condition met')
        return
    if verb == 'get' and len(args) > 1 and (args[1] == '--raw' or args[1].startswith('--raw=')):
        print('ok')
        return
    # What kubeadm init leaves behind once it has finished (the init module's state probe).
    if verb == 'get' and args[1:3] == ['configmap', 'cluster-info']:
        print('configmap/cluster-info')
        return
    if verb == 'get' and args[1:3] == ['daemonset/kube-proxy', 'deployment/coredns']:
        print('daemonset.apps/kube-proxy\ndeployment.apps/coredns')
        return
    # The join probe: who this node's kubelet credentials are, and its Node's labels.
    if verb == 'auth' and args[1:2] == ['whoami']:
        if not os.path.exists(K8S + '/kubelet.conf'):
            die('error: You must be logged in to the server (Unauthorized)')
        print('system:node:' + socket.gethostname(), end='')
        return
    if verb == 'get' and len(args) > 2 and args[1] == 'node' and flag(args, '-o') == 'jsonpath={.metadata.labels}':
        labels = {'kubernetes.io/hostname': args[2]}
        if os.path.exists(K8S + '/manifests/kube-apiserver.yaml'):
            labels['node-role.kubernetes.io/control-plane'] = ''
        print(json.dumps(labels), end='')
        return
    if verb == 'delete' and args[1:2] == ['node']:
        print('node "%s" deleted' % args[2])
        return
    if verb == 'get' and len(args) > 2 and args[1] in ('node', 'nodes') and not args[2].startswith('-'):
        cordoned = os.path.exists(STATE + '/cordoned/' + args[2])
        print('true' if cordoned else '', end='')
        return
    if verb == 'get' and len(args) > 1 and args[1] in ('nodes', 'node', 'no'):
        nodes = (read('/etc/kubeplay-standin/nodes', '') or socket.gethostname()).split()
        cordoned = set(os.listdir(STATE + '/cordoned')) if os.path.isdir(STATE + '/cordoned') else set()
        v = read(STATE + '/control-plane-version', tools_version())
        for n in nodes:
            print('%s %s v%s' % (n, 'Ready,SchedulingDisabled' if n in cordoned else 'Ready', v))
        return
    if verb == 'get' and len(args) > 1 and args[1] in ('pods', 'pod', 'po'):
        for name in ['kube-system coredns Running', 'kube-system etcd Running', 'kube-system kube-apiserver Running', 'kube-flannel kube-flannel-ds Running']:
            print(name)
        return
    if verb == 'get' and len(args) > 1 and args[1] in ('svc', 'services', 'service'):
        print('ingress-nginx ingress-nginx-controller LoadBalancer 10.110.190.100')
        return
    die('kubeplay stand-in kubectl: unsupported arguments: %s' % ' '.join(argv), 2)


def crictl(argv):
    # Only what the roles ask of the local etcd container: find it, run etcdctl in it.
    if argv[:1] == ['ps']:
        if os.path.exists(K8S + '/manifests/etcd.yaml'):
            print('standin-etcd')
        return
    if argv[:3] == ['exec', 'standin-etcd', 'etcdctl']:
        rest = [a for a in argv[3:] if not a.startswith('--')]
        if rest[:2] == ['member', 'list']:
            nodes = (read('/etc/kubeplay-standin/nodes', '') or socket.gethostname()).split()
            for i, n in enumerate(nodes):
                print('%016x, started, %s, https://%s:2380, https://%s:2379, false' % (i + 1, n, n, n))
            return
        if rest[:2] == ['member', 'remove']:
            print('Member %s removed from cluster' % rest[2])
            return
    die('kubeplay stand-in crictl: unsupported arguments: %s' % ' '.join(argv), 2)


def kubelet(argv):
    if '--version' in argv:
        print('Kubernetes v' + tools_version())
        return
    # As a service: stay up like a daemon until stopped.
    while True:
        time.sleep(3600)


def etcdctl(argv):
    if argv[:2] == ['snapshot', 'save'] and len(argv) > 2:
        for f in ['--cacert', '--cert', '--key']:
            p = flag(argv, f)
            if not p or not os.path.exists(p):
                die('etcdctl: %s: file not found: %s' % (f, p))
        write(argv[2], 'kubeplay stand-in etcd snapshot %s %s\n' % (datetime.datetime.now().isoformat(), secrets.token_hex(8)), 0o600)
        print('Snapshot saved at ' + argv[2])
        return
    if argv[:2] == ['snapshot', 'status'] or argv[:1] == ['endpoint']:
        print('ok, stand-in')
        return
    die('kubeplay stand-in etcdctl: unsupported arguments: %s' % ' '.join(argv), 2)


def main():
    tool, argv = sys.argv[1], sys.argv[2:]
    if not (tool == 'kubelet' and not argv):
        log(tool, argv)
    os.makedirs(STATE, exist_ok=True)
    {'kubeadm': kubeadm, 'kubectl': kubectl, 'kubelet': kubelet, 'etcdctl': etcdctl, 'crictl': crictl}[tool](argv)


if __name__ == '__main__':
    main()
