/**
 * Typed definitions of the kubeadm configuration API (kubeadm.k8s.io v1beta3 and v1beta4) and of the
 * component configs kubeadm accepts next to them, limited to the fields kubeplay renders or users
 * commonly set; kubeadm-config.ts validates rendered files against the same definitions.
 */
import type { KubeadmApiVersion } from './kubeadm-version.ts'

/** v1beta4 extra argument (duplicates allowed, order kept). */
export interface Arg { readonly name: string; readonly value: string }
/** v1beta3: a string map; v1beta4: a list of Arg. */
export type ExtraArgs<V extends KubeadmApiVersion> = V extends 'kubeadm.k8s.io/v1beta4' ? readonly Arg[] : Readonly<Record<string, string>>

export interface Taint { readonly key: string; readonly value?: string; readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }

export interface NodeRegistrationOptions<V extends KubeadmApiVersion> {
  readonly name?: string
  readonly criSocket?: string
  /** null: no taints (kubeadm's way to say "schedulable control plane"). */
  readonly taints?: readonly Taint[] | null
  readonly kubeletExtraArgs?: ExtraArgs<V>
  readonly ignorePreflightErrors?: readonly string[]
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never'
}

export interface APIEndpoint { readonly advertiseAddress?: string; readonly bindPort?: number }

/** v1beta4 only: durations like `4m0s`. */
export interface Timeouts {
  readonly controlPlaneComponentHealthCheck?: string
  readonly kubeletHealthCheck?: string
  readonly kubernetesAPICall?: string
  readonly etcdAPICall?: string
  readonly tlsBootstrap?: string
  readonly discovery?: string
  readonly upgradeManifests?: string
}

export interface InitConfiguration<V extends KubeadmApiVersion = KubeadmApiVersion> {
  readonly apiVersion: V
  readonly kind: 'InitConfiguration'
  readonly nodeRegistration?: NodeRegistrationOptions<V>
  readonly localAPIEndpoint?: APIEndpoint
  /** Encrypts the uploaded control-plane certificates (`--upload-certs`); never rendered by kubeplay (a secret). */
  readonly certificateKey?: string
  readonly skipPhases?: readonly string[]
  /** v1beta4 only. */
  readonly timeouts?: V extends 'kubeadm.k8s.io/v1beta4' ? Timeouts : never
}

export interface ControlPlaneComponent<V extends KubeadmApiVersion> {
  readonly extraArgs?: ExtraArgs<V>
}

export interface APIServer<V extends KubeadmApiVersion> extends ControlPlaneComponent<V> {
  readonly certSANs?: readonly string[]
  /** v1beta3 only (v1beta4: InitConfiguration.timeouts.controlPlaneComponentHealthCheck). */
  readonly timeoutForControlPlane?: V extends 'kubeadm.k8s.io/v1beta3' ? string : never
}

export interface Networking {
  readonly podSubnet?: string
  readonly serviceSubnet?: string
  readonly dnsDomain?: string
}

export interface ClusterConfiguration<V extends KubeadmApiVersion = KubeadmApiVersion> {
  readonly apiVersion: V
  readonly kind: 'ClusterConfiguration'
  /** `v1.31.4` */
  readonly kubernetesVersion: string
  /** `host:port` of the load balancer in front of every kube-apiserver. */
  readonly controlPlaneEndpoint?: string
  readonly clusterName?: string
  readonly certificatesDir?: string
  readonly imageRepository?: string
  readonly networking?: Networking
  readonly apiServer?: APIServer<V>
  readonly controllerManager?: ControlPlaneComponent<V>
  readonly scheduler?: ControlPlaneComponent<V>
  readonly etcd?: { readonly local?: { readonly dataDir?: string; readonly extraArgs?: ExtraArgs<V> } }
  /** v1beta4 only. */
  readonly encryptionAlgorithm?: V extends 'kubeadm.k8s.io/v1beta4' ? 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'ECDSA-P256' : never
}

export interface BootstrapTokenDiscovery {
  readonly apiServerEndpoint: string
  readonly token: string
  readonly caCertHashes?: readonly string[]
  readonly unsafeSkipCAVerification?: boolean
}

export interface JoinConfiguration<V extends KubeadmApiVersion = KubeadmApiVersion> {
  readonly apiVersion: V
  readonly kind: 'JoinConfiguration'
  readonly nodeRegistration?: NodeRegistrationOptions<V>
  readonly discovery: {
    readonly bootstrapToken?: BootstrapTokenDiscovery
    readonly tlsBootstrapToken?: string
    /** v1beta3 only (v1beta4: timeouts.discovery). */
    readonly timeout?: V extends 'kubeadm.k8s.io/v1beta3' ? string : never
  }
  readonly controlPlane?: { readonly localAPIEndpoint?: APIEndpoint; readonly certificateKey?: string }
  readonly timeouts?: V extends 'kubeadm.k8s.io/v1beta4' ? Timeouts : never
}

export interface KubeletConfiguration {
  readonly apiVersion: 'kubelet.config.k8s.io/v1beta1'
  readonly kind: 'KubeletConfiguration'
  /** Must match the container runtime's (containerd `SystemdCgroup = true`). */
  readonly cgroupDriver?: 'systemd' | 'cgroupfs'
  readonly failSwapOn?: boolean
  readonly clusterDNS?: readonly string[]
  readonly clusterDomain?: string
  readonly rotateCertificates?: boolean
  readonly serverTLSBootstrap?: boolean
  readonly maxPods?: number
  /** Disk usage (%) above which unused images are always collected; 100 turns disk-driven collection off. */
  readonly imageGCHighThresholdPercent?: number
  /** Disk usage (%) image collection brings usage down to. */
  readonly imageGCLowThresholdPercent?: number
  /** Hard eviction thresholds, `{'nodefs.available': '10%'}`; the signals left out are not inherited. */
  readonly evictionHard?: Readonly<Record<string, string>>
}

export interface KubeProxyConfiguration {
  readonly apiVersion: 'kubeproxy.config.k8s.io/v1alpha1'
  readonly kind: 'KubeProxyConfiguration'
  readonly mode?: '' | 'iptables' | 'ipvs' | 'nftables'
  readonly clusterCIDR?: string
  /** `maxPerCore: 0` leaves the kernel's conntrack table size alone (containers, read-only /proc/sys). */
  readonly conntrack?: { readonly maxPerCore?: number; readonly min?: number }
}

export type KubeadmDocument<V extends KubeadmApiVersion = KubeadmApiVersion> =
  | InitConfiguration<V> | ClusterConfiguration<V> | JoinConfiguration<V> | KubeletConfiguration | KubeProxyConfiguration

// ---- validator ---------------------------------------------------------------------------------
