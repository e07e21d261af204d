import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common'
// A value import: Nest injects Reflector by the type tsc records in the decorator metadata.
import { Reflector } from '@nestjs/core'

const IS_PUBLIC = 'isPublic'

/** Marks a route that needs no app token: health checks, and SuperOffice's webhook route. */
export const Public = () => SetMetadata(IS_PUBLIC, true)

/**
 * The app's global auth guard, as real apps have one: every route needs `Authorization: Bearer
 * <APP_TOKEN>` unless it is marked Public(). The webhook route is opted out in app.module.ts
 * (SuperOffice authenticates with its signature, not with the app's tokens).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>()
    return Boolean(process.env.APP_TOKEN) && request.headers.authorization === `Bearer ${process.env.APP_TOKEN}`
  }
}
