/**
 * Generates docs/modules.md from the source: every module exported by lib/modules/index.ts (in that
 * order), its description (the const's JSDoc, else the module file's top JSDoc) and its Params
 * (the `defineModule<P, …>` type argument, inherited fields included) with each field's type as
 * written, optionality, `@default` and JSDoc text. The reference cannot drift from the code:
 * test/docs/modules-doc.test.ts compares the committed file with this output.
 *
 *   npm run docs               write docs/modules.md
 *   npm run docs -- --check    exit 1 when docs/modules.md is not what would be written
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const MODULES_INDEX = 'lib/modules/index.ts'
export const MODULES_DOC = 'docs/modules.md'

export interface ParamDoc {
  readonly name: string
  /** The type as written in the declaration, whitespace collapsed. */
  readonly type: string
  readonly required: boolean
  /** The `@default` tag's text; null when there is none. */
  readonly default: string | null
  /** The field's JSDoc text without tags; '' when it has none. */
  readonly description: string
  /** The interface that declares the field (`FileAttrs` for inherited ones). */
  readonly declaredIn: string
  readonly file: string
}

export interface ModuleDoc {
  /** The exported name (`aptPackages`). */
  readonly name: string
  readonly description: string
  /** The type argument as written (`CopyParams`). */
  readonly paramsType: string
  /** Where the fields are declared when the type is an alias or interface elsewhere (`ContentFileParams`). */
  readonly paramsTarget: { readonly name: string; readonly file: string } | null
  readonly params: readonly ParamDoc[]
  /** Type aliases the param types name (`FileState`, `Anchor`), with their definitions as written. */
  readonly aliases: readonly { readonly name: string; readonly text: string }[]
  /** Repository-relative source file of the module's const. */
  readonly file: string
}

const rel = (f: string): string => relative(ROOT, f).split('\\').join('/')
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim()
/** A type node's text without the JSDoc of nested fields, on one line. */
const typeText = (n: ts.Node): string => oneLine(n.getText().replace(/\/\*[\s\S]*?\*\//g, ''))

/** The first `/** … *\/` comment of a file, if it opens the file: its first paragraph. */
function fileJsDoc(sf: ts.SourceFile): string {
  const ranges = ts.getLeadingCommentRanges(sf.text, 0) ?? []
  const doc = ranges.find((r) => sf.text.startsWith('/**', r.pos))
  if (!doc) return ''
  const body = sf.text.slice(doc.pos + 3, doc.end - 2)
    .split('\n').map((l) => l.replace(/^\s*\*( |$)/, '')).join('\n')
  return firstParagraph(body)
}

function firstParagraph(text: string): string {
  const untagged = text.split(/\n\s*@/)[0] ?? ''
  return oneLine(untagged.trim().split(/\n\s*\n/)[0] ?? '')
}

function docText(parts: readonly ts.SymbolDisplayPart[] | undefined): string {
  return ts.displayPartsToString(parts ? [...parts] : []).trim()
}

/** `defineModule<P, D>({ … })` → the call, for a const initialised that way. */
function defineModuleCall(decl: ts.Declaration): ts.CallExpression | null {
  if (!ts.isVariableDeclaration(decl) || !decl.initializer) return null
  const init = decl.initializer
  if (!ts.isCallExpression(init) || !ts.isIdentifier(init.expression) || init.expression.text !== 'defineModule') return null
  return init
}

/** Type aliases referenced by the params' type nodes, each once, in order of first use. */
function aliasesOf(checker: ts.TypeChecker, type: ts.Type): { name: string; text: string }[] {
  const seen = new Map<string, string>()
  const visit = (n: ts.Node): void => {
    if (ts.isTypeReferenceNode(n)) {
      let sym = checker.getSymbolAtLocation(n.typeName)
      if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym)
      const d = sym?.declarations?.[0]
      if (sym && d && ts.isTypeAliasDeclaration(d) && !seen.has(sym.name) && rel(d.getSourceFile().fileName).startsWith('lib/')) {
        seen.set(sym.name, typeText(d.type).replace(/^\| /, ''))
        visit(d.type)
      }
    }
    ts.forEachChild(n, visit)
  }
  for (const prop of checker.getPropertiesOfType(type)) {
    const d = prop.declarations?.[0]
    if (d && (ts.isPropertySignature(d) || ts.isPropertyDeclaration(d)) && d.type) visit(d.type)
  }
  return [...seen].map(([name, text]) => ({ name, text }))
}

function paramDocs(checker: ts.TypeChecker, type: ts.Type): ParamDoc[] {
  return checker.getPropertiesOfType(type).map((prop) => {
    const decl = prop.declarations?.[0]
    const typeNode = decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) ? decl.type : undefined
    const owner = decl?.parent
    const declaredIn = owner && (ts.isInterfaceDeclaration(owner) || ts.isClassDeclaration(owner)) && owner.name ? owner.name.text
      : owner && ts.isTypeLiteralNode(owner) && ts.isTypeAliasDeclaration(owner.parent) ? owner.parent.name.text : ''
    const def = prop.getJsDocTags(checker).find((t) => t.name === 'default')
    return {
      name: prop.name,
      type: typeNode ? typeText(typeNode) : oneLine(checker.typeToString(checker.getTypeOfSymbol(prop))),
      required: (prop.flags & ts.SymbolFlags.Optional) === 0,
      default: def ? oneLine(docText(def.text)) || null : null,
      description: oneLine(docText(prop.getDocumentationComment(checker))),
      declaredIn,
      file: decl ? rel(decl.getSourceFile().fileName) : '',
    }
  })
}

/** Reads every module of lib/modules/index.ts through the TypeScript compiler, in export order. */
export function collectModules(root: string = ROOT): ModuleDoc[] {
  const indexPath = join(root, MODULES_INDEX)
  const program = ts.createProgram([indexPath], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  })
  const checker = program.getTypeChecker()
  const index = program.getSourceFile(indexPath)
  if (!index) throw new Error(`${MODULES_INDEX}: expected a source file, found none`)
  const out: ModuleDoc[] = []
  for (const stmt of index.statements) {
    if (!ts.isExportDeclaration(stmt) || stmt.isTypeOnly || !stmt.exportClause || !ts.isNamedExports(stmt.exportClause)) continue
    for (const spec of stmt.exportClause.elements) {
      if (spec.isTypeOnly) continue
      const local = checker.getSymbolAtLocation(spec.name)
      const sym = local && local.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(local) : local
      const decl = sym?.declarations?.[0]
      const call = decl && defineModuleCall(decl)
      if (!sym || !decl || !call) continue
      const typeArg = call.typeArguments?.[0]
      if (!typeArg) throw new Error(`${rel(decl.getSourceFile().fileName)}: ${spec.name.text}: expected defineModule<Params, …>, found no type argument`)
      const type = checker.getTypeFromTypeNode(typeArg)
      const target = (type.aliasSymbol ?? type.getSymbol())
      const targetDecl = target?.declarations?.[0]
      const paramsType = oneLine(typeArg.getText())
      const paramsTarget = target && targetDecl && target.name !== paramsType && target.name !== '__type'
        ? { name: target.name, file: rel(targetDecl.getSourceFile().fileName) } : null
      out.push({
        name: spec.name.text,
        description: firstParagraph(docText(sym.getDocumentationComment(checker))) || fileJsDoc(decl.getSourceFile()),
        paramsType,
        paramsTarget,
        params: paramDocs(checker, type),
        aliases: aliasesOf(checker, type),
        file: rel(decl.getSourceFile().fileName),
      })
    }
  }
  return out
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const code = (s: string): string => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``)
// Literal defaults read best as code; prose defaults ("apt's own setting") stay prose.
const LITERAL = /^('[^']*'|"[^"]*"|`[^`]*`|-?\d[\d_.]*|true|false|null|undefined|\[.*\]|\{.*\}|[A-Z][A-Z0-9_]+)$/

function defaultCell(d: string | null): string {
  if (d === null) return ''
  return cell(LITERAL.test(d) && !d.startsWith('`') ? code(d) : d)
}

/** First sentence, for the overview table. */
function firstSentence(s: string): string {
  const m = /^(.+?[.!?])(\s|$)/.exec(s)
  return m?.[1] ?? s
}

/** The Markdown text of docs/modules.md. Pure given the modules. */
export function renderModulesDoc(mods: readonly ModuleDoc[]): string {
  const lines: string[] = [
    '# Modules',
    '',
    '<!-- Generated by scripts/gen-module-docs.ts from lib/modules/index.ts; do not edit by hand: run `npm run docs`. -->',
    '',
    "Every module of `kubeplay/modules`, in the order of `lib/modules/index.ts`. Each one checks the host",
    'first and changes only what differs (see [concepts](concepts.md)); `required` params must be given,',
    'the others fall back to the default shown (an empty default means "not set": the module leaves',
    'that aspect alone). To write your own module, see [writing roles and modules](writing-roles.md).',
    '',
    '```ts',
    "import { aptPackages, systemdService } from 'kubeplay/modules'",
    "task('Install HAProxy', aptPackages, { names: ['haproxy'] })",
    '```',
    '',
    '| module | what it manages |',
    '| --- | --- |',
    ...mods.map((m) => `| [\`${m.name}\`](#${m.name.toLowerCase()}) | ${cell(firstSentence(m.description))} |`),
  ]
  for (const m of mods) {
    lines.push('', `## ${m.name}`, '')
    if (m.description) lines.push(m.description, '')
    const via = m.paramsTarget ? ` = \`${m.paramsTarget.name}\` ([${m.paramsTarget.file}](../${m.paramsTarget.file}))` : ''
    lines.push(`Source: [${m.file}](../${m.file}) · params: \`${m.paramsType}\`${via}`, '')
    const own = m.paramsTarget?.name ?? m.paramsType
    const inherited = [...new Set(m.params.filter((p) => p.declaredIn && p.declaredIn !== own).map((p) => `\`${p.declaredIn}\` ([${p.file}](../${p.file}))`))]
    if (inherited.length) lines.push(`Also takes the fields of ${inherited.join(', ')}.`, '')
    lines.push('| param | type | required | default | description |', '| --- | --- | --- | --- | --- |')
    for (const p of m.params) {
      lines.push(`| \`${p.name}\` | ${cell(code(p.type))} | ${p.required ? 'required' : 'optional'} | ${defaultCell(p.default)} | ${cell(p.description)} |`)
    }
    if (m.aliases.length) lines.push('', '```ts', ...m.aliases.map((a) => `type ${a.name} = ${a.text}`), '```')
  }
  return `${lines.join('\n')}\n`
}

export function generateModulesDoc(root: string = ROOT): string {
  return renderModulesDoc(collectModules(root))
}

/** Fields without any JSDoc (no description and no @default), per module: what the docs lack. */
export function undocumented(mods: readonly ModuleDoc[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const m of mods) {
    const names = m.params.filter((p) => !p.description && p.default === null).map((p) => p.name)
    if (names.length) out.set(m.name, names)
  }
  return out
}

function main(argv: readonly string[]): number {
  const unknown = argv.filter((a) => a !== '--check' && a !== '--missing')
  if (unknown.length) {
    console.error(`gen-module-docs: expected --check or --missing, found ${unknown.join(' ')}`)
    return 4
  }
  const mods = collectModules()
  const text = renderModulesDoc(mods)
  const path = join(ROOT, MODULES_DOC)
  if (argv.includes('--missing')) {
    for (const [m, names] of undocumented(mods)) console.log(`${m}: ${names.join(', ')}`)
    return 0
  }
  if (argv.includes('--check')) {
    let current = ''
    try { current = readFileSync(path, 'utf8') } catch { /* absent: differs */ }
    if (current === text) {
      console.log(`${MODULES_DOC} is up to date (${mods.length} modules)`)
      return 0
    }
    console.error(`${MODULES_DOC} differs from the source: run \`npm run docs\` and commit the result`)
    return 1
  }
  writeFileSync(path, text)
  console.log(`wrote ${MODULES_DOC} (${mods.length} modules)`)
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2))
