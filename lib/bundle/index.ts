export { buildBundle, imageFileName, type BuildOptions, type BuildResult } from './build.ts'
export { bundleCacheRoot, defaultBundleDir, readBundleManifest, verifyBundle, type BundleFile, type BundleImage, type BundleManifest } from './manifest.ts'
export { RELEASES, imageRefs, releasePins, type ReleasePins } from './pins.ts'
