/**
 * Counts every TCP/IPC connection this process attempts, to prove that bad input is rejected
 * before anything is contacted.
 */
import { Socket } from 'node:net'

export function spyOnConnect(): { readonly count: () => number } {
  let connects = 0
  const realConnect = Socket.prototype.connect
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    connects++
    return (realConnect as (...a: unknown[]) => Socket).apply(this, args)
  } as typeof Socket.prototype.connect
  return { count: () => connects }
}
