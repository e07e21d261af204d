// SuperOffice's tenant status webhook (moves, suspensions), signed by SuperOffice with a JWT.
import { superOffice } from '../../../lib/superoffice'

export const runtime = 'nodejs'
export const dynamic = 'force-dynamic'

export const POST = (request: Request) => superOffice().tenantStatus.handleRequest(request)
